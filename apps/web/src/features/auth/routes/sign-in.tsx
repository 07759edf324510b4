import { loginBody } from '@crewdesk/contracts';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { isProblem } from '../../../lib/api-errors';
import { Button } from '../../../components/button';
import { Field } from '../../../components/field';
import { useServerForm } from '../../../lib/forms';
import { signIn } from '../api/session-actions';
import { useSetupStatus } from '../api/use-setup-status';
import { usePageTitle } from '../../../lib/use-page-title';
import { FormError } from '../../../components/form-error';

export function SignInPage() {
  usePageTitle('Sign in');
  const [params] = useSearchParams();
  const status = useSetupStatus();
  const {
    register,
    submit,
    formError,
    formState: { errors, isSubmitting },
  } = useServerForm({ schema: loginBody, fields: ['email', 'password'] });
  // The right password for a deactivated account: say so plainly, instead of "incorrect".
  const [deactivated, setDeactivated] = useState<string | null>(null);
  const onSubmit = submit(async (values) => {
    setDeactivated(null);
    try {
      await signIn(values);
    } catch (err) {
      if (!isProblem(err, 'account-deactivated')) throw err;
      setDeactivated(values.email);
    }
  });

  return (
    <>
      <h1>Sign in</h1>
      {params.get('next') && <p className="muted">Sign in to continue.</p>}
      {status.data?.setupRequired && (
        <p className="notice">Crewdesk has no admin yet: open the setup link printed by the server to create one.</p>
      )}
      <form onSubmit={onSubmit} noValidate className="stack">
        <Field label="Email" error={errors.email?.message}>
          <input type="email" autoComplete="username" autoFocus {...register('email')} />
        </Field>
        <Field label="Password" error={errors.password?.message}>
          <input type="password" autoComplete="current-password" {...register('password')} />
        </Field>
        <FormError message={formError} />
        {deactivated && (
          <div className="notice notice-warning" role="alert">
            <strong>This account has been deactivated.</strong> {deactivated} can no longer sign in. Ask an admin of
            your team to reactivate it.
          </div>
        )}
        <Button type="submit" variant="primary" busy={isSubmitting}>
          Sign in
        </Button>
      </form>
      {status.data?.registrationOpen !== false && (
        <p className="muted">
          New here?{' '}
          <Link to={`/register${params.get('next') ? `?next=${encodeURIComponent(params.get('next') ?? '')}` : ''}`}>
            Create an account
          </Link>
        </p>
      )}
    </>
  );
}
