import { BadRequestException } from '@nestjs/common';
import { ZodBody } from '../common/zod-body';
import { ImportDocument, ImportDocumentError, importDocumentSchema, parseYaml, validateImportDocument } from './import-document';

/**
 * The import body: a YAML document arrives as text (the YAML content types are parsed as strings, see
 * OnboardingModule), JSON as an object. A ZodBody, so the OpenAPI document describes the format; problems are a 400
 * naming each field the way the file is read (`services[2].calcomEventTypeId`).
 */
export class ImportBodyPipe extends ZodBody<typeof importDocumentSchema> {
  constructor() {
    super(importDocumentSchema);
  }

  override transform(value: unknown): ImportDocument {
    try {
      return validateImportDocument(typeof value === 'string' ? parseYaml(value) : value);
    } catch (error) {
      if (!(error instanceof ImportDocumentError)) throw error;
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: error.message,
        // names as a plain string: the exception filter keeps only primitive extra fields
        field: [...new Set(error.problems.map((p) => p.field))].join(','),
        fields: error.problems,
      });
    }
  }
}
