import { Controller, Get } from '@nestjs/common';
import { Public } from '@receptionist/service-runtime';

/** Public liveness for load balancers and uptime checks (the detailed views come with the tenants work). */
@Public()
@Controller('api/health')
export class PublicHealthController {
  @Get()
  live() {
    return { status: 'ok', service: 'gateway', time: new Date().toISOString() };
  }
}
