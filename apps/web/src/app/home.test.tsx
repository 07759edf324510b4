import { render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { testUser } from '../../test/utils';
import { sessionStore } from '../lib/session';
import { PublicShell } from './public-shell';

function signInPageAs(role: 'agent' | 'admin' | 'member') {
  sessionStore.set({ status: 'authenticated', user: { ...testUser, role } });
  render(
    <MemoryRouter initialEntries={['/sign-in']}>
      <Routes>
        <Route element={<PublicShell />}>
          <Route path="/sign-in" element={<p>sign-in form</p>} />
        </Route>
        <Route path="/leads" element={<p>my leads page</p>} />
        <Route path="/tasks" element={<p>tasks page</p>} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('where a signed-in user lands', () => {
  it('an agent lands on My leads', () => {
    signInPageAs('agent');
    expect(screen.getByText('my leads page')).toBeInTheDocument();
  });
  it.each(['admin', 'member'] as const)('a %s lands on Tasks', (role) => {
    signInPageAs(role);
    expect(screen.getByText('tasks page')).toBeInTheDocument();
  });
});
