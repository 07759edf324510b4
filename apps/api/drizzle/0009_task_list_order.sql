DROP INDEX "tasks_owner_created_idx";--> statement-breakpoint
CREATE INDEX "tasks_owner_created_idx" ON "tasks" USING btree ("owner_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);