import { redactSqlValues, safeErrorSerializer } from './error-serializer';

describe('safeErrorSerializer', () => {
  it("keeps codes and the parameterised query, drops a failed statement's values", () => {
    const driverError = Object.assign(new Error("Duplicate entry 'erika@example.com' for key 'uq_app_user_email'"), {
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      sqlState: '23000',
      sql: "INSERT INTO app_user (email) VALUES ('erika@example.com')",
    });
    const error = Object.assign(new Error(driverError.message), { name: 'QueryFailedError', query: 'INSERT INTO app_user (email) VALUES (?)', parameters: ['erika@example.com'], driverError, code: 'ER_DUP_ENTRY', sql: driverError.sql, cause: driverError });
    const out = safeErrorSerializer(error) as Record<string, any>;
    expect(JSON.stringify(out)).not.toContain('erika');
    expect(out).toMatchObject({ code: 'ER_DUP_ENTRY', query: 'INSERT INTO app_user (email) VALUES (?)', driverError: { code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' } });
    expect(out.message).toMatch(/^Duplicate entry '\[redacted\]' for key 'uq_app_user_email'/);
  });

  it('redacts values quoted in a message copied out of an error, and leaves other messages alone', () => {
    expect(safeErrorSerializer({ message: "Incorrect integer value: '+4915112345678' for column 'x'" })).toMatchObject({ message: "Incorrect integer value: '[redacted]' for column 'x'" });
    expect(redactSqlValues('connect ECONNREFUSED 127.0.0.1:3306')).toBe('connect ECONNREFUSED 127.0.0.1:3306');
  });
});
