import { useEffect } from 'react';

/** Names the page in the tab, the history and for screen readers. */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Crewdesk`;
  }, [title]);
}
