import { migrateMain } from '@receptionist/service-runtime';
import { migrations } from './migrations';

migrateMain('voice-agent', migrations);
