/** The six services as the local launcher runs them. Ports and database names are the local defaults. */
export interface ServiceSpec {
  name: string;
  port: number;
  /** Prometheus metrics (METRICS_PORT), apart from the API port. */
  metricsPort: number;
  database: string;
}

export const SERVICES: ServiceSpec[] = [
  { name: 'gateway', port: 3000, metricsPort: 9400, database: 'receptionist_gateway' },
  { name: 'voice-agent', port: 3001, metricsPort: 9401, database: 'receptionist_voice_agent' },
  { name: 'booking', port: 3002, metricsPort: 9402, database: 'receptionist_booking' },
  { name: 'billing', port: 3003, metricsPort: 9403, database: 'receptionist_billing' },
  { name: 'notification', port: 3004, metricsPort: 9404, database: 'receptionist_notification' },
  { name: 'sync', port: 3005, metricsPort: 9405, database: 'receptionist_sync' },
];
