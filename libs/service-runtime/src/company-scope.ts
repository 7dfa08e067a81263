/**
 * Which companies one instance handles, from a `<SERVICE>_SERVE_COMPANIES` setting: a comma-separated list of
 * company ids and `prefix*` patterns. Unset (production): every company, and messages of no company too. Set
 * (integration tests, where several instances with their own databases share one broker and consumer group):
 * only the listed companies, so an instance never answers or acts for another test's company.
 */
export function companyScope(setting: string | undefined): (companyId: string | null | undefined) => boolean {
  const entries = (setting ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return () => true;
  const exact = new Set(entries.filter((e) => !e.endsWith('*')));
  const prefixes = entries.filter((e) => e.endsWith('*')).map((e) => e.slice(0, -1));
  return (id) => !!id && (exact.has(id) || prefixes.some((p) => id.startsWith(p)));
}
