import { taskDescription, taskPriority, taskTitle, type Task } from '@crewdesk/contracts';
import { useEffect } from 'react';
import { z } from 'zod';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { Field } from '../../../components/field';
import { useToast } from '../../../components/toasts';
import { endOfLocalDay, toDateInput } from '../../../lib/format';
import { useServerForm } from '../../../lib/forms';
import { useCreateTask, useUpdateTask } from '../api/task-mutations';
import { FormError } from '../../../components/form-error';

// The same title and description rules as the API, from the shared contracts.
const taskForm = z.object({
  title: taskTitle,
  description: taskDescription,
  priority: taskPriority,
  due: z.union([z.iso.date(), z.literal('')]),
});
type TaskForm = z.infer<typeof taskForm>;

const blank: TaskForm = { title: '', description: '', priority: 'medium', due: '' };

export function TaskDialog({ task, open, onClose }: { task: Task | null; open: boolean; onClose: () => void }) {
  const create = useCreateTask();
  const update = useUpdateTask();
  const toast = useToast();
  const {
    register,
    reset,
    submit,
    formError,
    setFormError,
    formState: { errors, isSubmitting },
  } = useServerForm({ schema: taskForm, fields: ['title', 'description', 'priority'], defaultValues: blank });

  useEffect(() => {
    if (!open) return;
    setFormError(null);
    reset(
      task
        ? { title: task.title, description: task.description, priority: task.priority, due: toDateInput(task.dueDate) }
        : blank,
    );
  }, [open, task, reset, setFormError]);

  const onSubmit = submit(async ({ due, ...values }) => {
    const body = { ...values, dueDate: due ? endOfLocalDay(due) : null };
    if (task) await update.mutateAsync({ id: task.id, patch: body });
    else await create.mutateAsync(body);
    toast(task ? 'Task saved' : 'Task created', { tone: 'success' });
    onClose();
  });

  return (
    <Dialog open={open} title={task ? 'Edit task' : 'New task'} onClose={onClose}>
      <form onSubmit={onSubmit} noValidate className="stack">
        <Field label="Title" error={errors.title?.message}>
          <input autoFocus maxLength={100} {...register('title')} />
        </Field>
        <Field label="Description" error={errors.description?.message}>
          <textarea rows={4} maxLength={500} {...register('description')} />
        </Field>
        <div className="row-2">
          <Field label="Priority" error={errors.priority?.message}>
            <select {...register('priority')}>
              <option value="low">Low</option>
              <option value="medium">Medium</option>
              <option value="high">High</option>
            </select>
          </Field>
          <Field label="Due date" error={errors.due?.message}>
            <input type="date" {...register('due')} />
          </Field>
        </div>
        <FormError message={formError} />
        <div className="dialog-footer">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={isSubmitting || create.isPending}>
            {task ? 'Save' : 'Create task'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
