import { createUserBody } from '@crewdesk/contracts';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { Field } from '../../../components/field';
import { useToast } from '../../../components/toasts';
import { useServerForm } from '../../../lib/forms';
import { useCreateUser } from '../api/users';
import { FormError } from '../../../components/form-error';

export function CreateUserDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateUser();
  const toast = useToast();
  const {
    register,
    reset,
    submit,
    formError,
    formState: { errors, isSubmitting },
  } = useServerForm({
    schema: createUserBody,
    fields: ['email', 'name', 'password', 'role', 'mobile'],
    defaultValues: { role: 'member' },
  });
  const onSubmit = submit(async (values) => {
    const user = await create.mutateAsync(values);
    toast(`Created ${user.name}`, { tone: 'success' });
    reset({ role: 'member' });
    onClose();
  });
  return (
    <Dialog open={open} title="New user" onClose={onClose}>
      <form onSubmit={onSubmit} noValidate className="stack">
        <Field label="Name" error={errors.name?.message}>
          <input autoFocus {...register('name')} />
        </Field>
        <Field label="Email" error={errors.email?.message}>
          <input type="email" autoComplete="off" {...register('email')} />
        </Field>
        <div className="row-2">
          <Field label="Role" error={errors.role?.message}>
            <select {...register('role')}>
              <option value="member">Member</option>
              <option value="agent">Agent</option>
              <option value="admin">Admin</option>
            </select>
          </Field>
          <Field label="Mobile (optional)" error={errors.mobile?.message}>
            <input type="tel" {...register('mobile', { setValueAs: (v: string) => v || undefined })} />
          </Field>
        </div>
        <Field
          label="Initial password"
          error={errors.password?.message}
          hint="Share it privately; they can change it in Settings."
        >
          <input type="password" autoComplete="new-password" {...register('password')} />
        </Field>
        <FormError message={formError} />
        <div className="dialog-footer">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={isSubmitting || create.isPending}>
            Create user
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
