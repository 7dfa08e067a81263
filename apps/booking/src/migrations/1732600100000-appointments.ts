import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/** Customers, appointments (with their idempotency keys), appointment changes, callback requests. */
export class Appointments1732600100000 implements MigrationInterface {
  name = 'Appointments1732600100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE customer (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      phone VARCHAR(16) NULL,
      name VARCHAR(200) NOT NULL,
      email VARCHAR(254) NULL,
      language VARCHAR(10) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_customer_company_phone (company_id, phone),
      KEY ix_customer_company_email (company_id, email)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE appointment (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      service_id CHAR(36) NOT NULL,
      staff_id CHAR(36) NULL,
      customer_id CHAR(36) NOT NULL,
      call_id VARCHAR(128) NULL,
      calcom_event_type_id INT NOT NULL,
      calcom_booking_uid VARCHAR(100) NULL,
      starts_at DATETIME(3) NOT NULL,
      ends_at DATETIME(3) NOT NULL,
      time_zone VARCHAR(64) NOT NULL,
      status VARCHAR(20) NOT NULL,
      idempotency_key VARCHAR(200) NOT NULL,
      rescheduled_count INT NOT NULL DEFAULT 0,
      notes VARCHAR(1000) NULL,
      cancelled_at DATETIME(3) NULL,
      cancellation_reason VARCHAR(500) NULL,
      cancelled_by VARCHAR(20) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_appointment_idempotency (company_id, idempotency_key),
      UNIQUE KEY uq_appointment_calcom_uid (calcom_booking_uid),
      KEY ix_appointment_slot (company_id, calcom_event_type_id, status, starts_at),
      KEY ix_appointment_customer (company_id, customer_id, starts_at),
      CONSTRAINT ck_appointment_status CHECK (status IN ('booked', 'cancelled')),
      CONSTRAINT fk_appointment_customer FOREIGN KEY (customer_id) REFERENCES customer (id),
      CONSTRAINT fk_appointment_service FOREIGN KEY (service_id) REFERENCES service (id)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE appointment_change (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      appointment_id CHAR(36) NOT NULL,
      kind VARCHAR(20) NOT NULL,
      idempotency_key VARCHAR(200) NULL,
      previous_starts_at DATETIME(3) NOT NULL,
      new_starts_at DATETIME(3) NULL,
      previous_calcom_uid VARCHAR(100) NULL,
      new_calcom_uid VARCHAR(100) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_appointment_change_idempotency (company_id, idempotency_key),
      KEY ix_appointment_change_appointment (appointment_id),
      CONSTRAINT ck_appointment_change_kind CHECK (kind IN ('reschedule', 'cancel')),
      CONSTRAINT fk_appointment_change_appointment FOREIGN KEY (appointment_id) REFERENCES appointment (id) ON DELETE CASCADE
    ) ${TABLE}`);
    await q.query(`CREATE TABLE callback_request (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      call_id VARCHAR(128) NULL,
      name VARCHAR(200) NULL,
      phone VARCHAR(16) NULL,
      wish VARCHAR(1000) NOT NULL,
      reason VARCHAR(30) NOT NULL,
      status VARCHAR(20) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_callback_request_company (company_id, status, created_at)
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['callback_request', 'appointment_change', 'appointment', 'customer']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
