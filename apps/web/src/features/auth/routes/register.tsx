import { registerBody } from '@crewdesk/contracts';
import { Link } from 'react-router';
import { Button } from '../../../components/button';
import { useServerForm } from '../../../lib/forms';
import { register as registerAccount } from '../api/session-actions';
import { useSetupStatus } from '../api/use-setup-status';
import { usePageTitle } from '../../../lib/use-page-title';
import { NewAccountFields } from '../components/new-account-fields';
import { FormError } from '../../../components/form-error';

export function RegisterPage() {
  usePageTitle('Create your account');
  const status = useSetupStatus();
  const {
    register,
    submit,
    formError,
    formState: { errors, isSubmitting },
  } = useServerForm({ schema: registerBody, fields: ['email', 'password', 'name'] });

  if (status.data && !status.data.registrationOpen) {
    return (
      <>
        <h1>Sign-up is closed</h1>
        <p className="muted">Ask an admin of your Crewdesk for an account.</p>
        <Link to="/sign-in">Back to sign in</Link>
      </>
    );
  }

  const onSubmit = submit(registerAccount);

  return (
    <>
      <h1>Create your account</h1>
      <form onSubmit={onSubmit} noValidate className="stack">
        <NewAccountFields register={register} errors={errors} />
        <FormError message={formError} />
        <Button type="submit" variant="primary" busy={isSubmitting}>
          Create account
        </Button>
      </form>
      <p className="muted">
        Already have an account? <Link to="/sign-in">Sign in</Link>
      </p>
    </>
  );
}
