import { migrateMain } from '@receptionist/service-runtime';
import { migrations } from './migrations';

migrateMain('gateway', migrations);
