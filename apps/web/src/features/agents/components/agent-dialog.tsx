import { createAgentBody, type Agent } from '@crewdesk/contracts';
import { useEffect } from 'react';
import { z } from 'zod';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { Field } from '../../../components/field';
import { useToast } from '../../../components/toasts';
import { useServerForm } from '../../../lib/forms';
import { useCreateAgent, useUpdateAgent } from '../api/agents';
import { FormError } from '../../../components/form-error';

// Editing: the password is optional (empty keeps the current one).
const editForm = createAgentBody.omit({ email: true, password: true }).extend({
  password: z.union([z.literal(''), createAgentBody.shape.password]),
});

export function AgentDialog({ agent, open, onClose }: { agent: Agent | null; open: boolean; onClose: () => void }) {
  const create = useCreateAgent();
  const update = useUpdateAgent();
  const toast = useToast();
  const {
    register,
    reset,
    submit,
    formError,
    setFormError,
    formState: { errors, isSubmitting },
  } = useServerForm({
    // One form for both: editing has no email and may leave the password empty.
    schema: (agent ? editForm : createAgentBody) as typeof createAgentBody,
    fields: ['name', 'email', 'mobile', 'password'],
  });

  useEffect(() => {
    if (open) {
      setFormError(null);
      reset(
        agent
          ? { name: agent.name, mobile: agent.mobile ?? '', password: '' }
          : { name: '', email: '', mobile: '', password: '' },
      );
    }
  }, [open, agent, reset, setFormError]);

  const onSubmit = submit(async (values) => {
    if (agent) {
      await update.mutateAsync({
        id: agent.id,
        patch: {
          name: values.name,
          mobile: values.mobile,
          ...(values.password ? { password: values.password } : {}),
        },
      });
      toast(`Saved ${values.name}`, { tone: 'success' });
    } else {
      await create.mutateAsync(values);
      toast(`Created agent ${values.name}`, { tone: 'success' });
    }
    onClose();
  });

  return (
    <Dialog open={open} title={agent ? `Edit ${agent.name}` : 'New agent'} onClose={onClose}>
      <form onSubmit={onSubmit} noValidate className="stack">
        <Field label="Name" error={errors.name?.message}>
          <input autoFocus {...register('name')} />
        </Field>
        {!agent && (
          <Field label="Email" error={errors.email?.message}>
            <input type="email" autoComplete="off" {...register('email')} />
          </Field>
        )}
        <Field label="Mobile" error={errors.mobile?.message} hint="With the country code, e.g. +91 98765 43210">
          <input type="tel" {...register('mobile')} />
        </Field>
        <Field
          label={agent ? 'New password (optional)' : 'Password'}
          error={errors.password?.message}
          hint={
            agent
              ? 'Setting one signs the agent out everywhere.'
              : 'Share it privately; they can change it in Settings.'
          }
        >
          <input type="password" autoComplete="new-password" {...register('password')} />
        </Field>
        <FormError message={formError} />
        <div className="dialog-footer">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={isSubmitting || create.isPending}>
            {agent ? 'Save' : 'Create agent'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
