/** The six services as the local launcher runs them. Ports and database names are the local defaults. */
export interface ServiceSpec {
  name: string;
  port: number;
  database: string;
}

export const SERVICES: ServiceSpec[] = [
  { name: 'gateway', port: 3000, database: 'receptionist_gateway' },
  { name: 'voice-agent', port: 3001, database: 'receptionist_voice_agent' },
  { name: 'booking', port: 3002, database: 'receptionist_booking' },
  { name: 'billing', port: 3003, database: 'receptionist_billing' },
  { name: 'notification', port: 3004, database: 'receptionist_notification' },
  { name: 'sync', port: 3005, database: 'receptionist_sync' },
];
