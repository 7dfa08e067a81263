import { StrictMode, Suspense, lazy } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from './i18n';
import './styles.css';

// Each app is its own chunk: a customer opening the portal never downloads the console.
const ConsoleApp = lazy(() => import('./console/ConsoleApp'));
const PortalApp = lazy(() => import('./portal/PortalApp'));

const isPortal = location.pathname === '/portal' || location.pathname.startsWith('/portal/');

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <Suspense fallback={<p className="boot">…</p>}>{isPortal ? <PortalApp /> : <ConsoleApp />}</Suspense>
    </I18nProvider>
  </StrictMode>,
);
