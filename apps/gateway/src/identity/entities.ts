import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../auth/permissions';


@Entity('app_user')
export class UserEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  /** null for platform admins. */
  @Column({ name: 'company_id', type: 'char', length: 36, nullable: true })
  companyId: string | null;

  /** Stored lower-cased; unique. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** `$scrypt$v=1$…` (auth/password.ts); never the password. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ type: 'varchar', length: 50 })
  role: Role;

  /** The company role whose abilities a `company_custom` user holds; null for every other role. */
  @Column({ name: 'custom_role_id', type: 'char', length: 36, nullable: true })
  customRoleId: string | null;

  @Column({ name: 'disabled_at', type: 'datetime', precision: 3, nullable: true })
  disabledAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** A personal access token: only the SHA-256 of its secret is kept. */
@Entity('personal_access_token')
export class AccessTokenEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'char', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  @Column({ type: 'simple-json' })
  abilities: string[];

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'last_used_at', type: 'datetime', precision: 3, nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

@Entity('role_permission')
export class RolePermissionEntity {
  @PrimaryColumn({ type: 'varchar', length: 50 })
  role: string;

  @PrimaryColumn({ type: 'varchar', length: 100 })
  permission: string;
}
