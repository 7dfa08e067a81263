/** The message texts are shared with the gateway (its template preview renders exactly what is sent). */
export {
  BUILT_IN_LANGUAGES,
  BUILT_IN_TEMPLATES,
  baseLanguage,
  formatAppointment,
  isBuiltIn,
  messageKinds as MESSAGE_KINDS,
  render,
} from '@receptionist/contracts';
export type { BuiltInLanguage, MessageKind, TemplateVariables } from '@receptionist/contracts';
