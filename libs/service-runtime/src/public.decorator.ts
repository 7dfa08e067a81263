import { SetMetadata } from '@nestjs/common';

/** Metadata key read by a service's auth guard: a handler or controller carrying it needs no credentials. */
export const IS_PUBLIC_KEY = 'receptionist:public';

/** Marks a route (or a whole controller) as open: health probes, metrics, signed webhooks, login. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
