import { z } from 'zod';

/** Days a company keeps call recordings and transcripts; null keeps them (issue 16). */
const days = z.number().int().min(1).max(3650).nullable();
export const retentionSchema = z.strictObject({ recordingsDays: days, transcriptsDays: days });
export type RetentionDto = z.infer<typeof retentionSchema>;
