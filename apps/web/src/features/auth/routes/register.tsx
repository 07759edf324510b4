import { zodResolver } from '@hookform/resolvers/zod';
import { registerBody, type RegisterBody } from '@crewdesk/contracts';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link } from 'react-router';
import { Button } from '../../../components/button';
import { applyServerErrors } from '../../../lib/forms';
import { register as registerAccount } from '../api/session-actions';
import { useSetupStatus } from '../api/use-setup-status';
import { usePageTitle } from '../../../lib/use-page-title';
import { NewAccountFields } from '../components/new-account-fields';
import { FormError } from '../../../components/form-error';

export function RegisterPage() {
  usePageTitle('Create your account');
  const status = useSetupStatus();
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<RegisterBody>({ resolver: zodResolver(registerBody) });

  if (status.data && !status.data.registrationOpen) {
    return (
      <>
        <h1>Sign-up is closed</h1>
        <p className="muted">Ask an admin of your Crewdesk for an account.</p>
        <Link to="/sign-in">Back to sign in</Link>
      </>
    );
  }

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      await registerAccount(values);
    } catch (err) {
      setFormError(applyServerErrors(err, setError, ['email', 'password', 'name']));
    }
  });

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
