import { CallDraftEntity, CallbackWishEntity } from './drafts/draft.entity';

/** Every TypeORM entity of voice-agent's own database. */
export const voiceAgentEntities = [CallDraftEntity, CallbackWishEntity];
