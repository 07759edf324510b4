import type { FieldErrors, UseFormRegister } from 'react-hook-form';
import { Field } from '../../../components/field';

export interface NewAccount {
  name: string;
  email: string;
  password: string;
}

/** Name, email and a new password: what sign-up and first-admin setup both ask for. */
export function NewAccountFields<T extends NewAccount>({
  register,
  errors,
}: {
  register: UseFormRegister<T>;
  errors: FieldErrors<T>;
}) {
  const reg = register as unknown as UseFormRegister<NewAccount>;
  const err = errors as FieldErrors<NewAccount>;
  return (
    <>
      <Field label="Name" error={err.name?.message}>
        <input autoComplete="name" autoFocus {...reg('name')} />
      </Field>
      <Field label="Email" error={err.email?.message}>
        <input type="email" autoComplete="username" {...reg('email')} />
      </Field>
      <Field label="Password" error={err.password?.message} hint="At least 8 characters. Common passwords are refused.">
        <input type="password" autoComplete="new-password" {...reg('password')} />
      </Field>
    </>
  );
}
