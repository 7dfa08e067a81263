import { createContext, useContext } from 'react';
import type { Api } from '../api/client';
import type { LiveBus } from './live';

/** A signed-in business user: the personal access token from POST /api/v1/auth/login. */
export interface Session {
  token: string;
  tokenId: string;
  expiresAt: string;
  user: { id: string; email: string; name: string; role: string; companyId: string | null };
}

const KEY = 'receptionist.console.session';

export function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && new Date(s.expiresAt) > new Date() ? s : null;
  } catch {
    return null;
  }
}
export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}

export interface ConsoleContextValue {
  api: Api;
  session: Session;
  /** The company shown: the user's own, or the one a platform admin picked. */
  companyId: string;
  signOut: () => Promise<void>;
  /** The company's facts as they happen (calls, bookings, balance). */
  live: LiveBus;
}
export const ConsoleContext = createContext<ConsoleContextValue | null>(null);
export function useConsole(): ConsoleContextValue {
  const v = useContext(ConsoleContext);
  if (!v) throw new Error('ConsoleContext missing');
  return v;
}
