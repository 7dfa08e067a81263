import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customer search for the self-service API (issue 16): by name (a full-text index, so "Mustermann" finds
 * "Erika Mustermann"; and an ordinary index for short prefixes and name order), and merged duplicates kept as
 * tombstones that name the record they went into.
 */
export class CustomerSearch1734300100000 implements MigrationInterface {
  name = 'CustomerSearch1734300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customer
      ADD COLUMN merged_into CHAR(36) NULL,
      ADD KEY ix_customer_company_name (company_id, name, id)`);
    await q.query(`ALTER TABLE customer ADD FULLTEXT KEY ft_customer_name (name)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customer DROP KEY ft_customer_name, DROP KEY ix_customer_company_name, DROP COLUMN merged_into`);
  }
}
