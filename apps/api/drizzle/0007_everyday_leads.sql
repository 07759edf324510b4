CREATE TABLE "lead_notes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"lead_id" uuid NOT NULL,
	"author_id" uuid,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tasks" drop column "search";--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english', lower(regexp_replace(normalize("tasks"."title", NFD), '[\u0300-\u036f]', '', 'g'))), 'A') || setweight(to_tsvector('english', lower(regexp_replace(normalize("tasks"."description", NFD), '[\u0300-\u036f]', '', 'g'))), 'B')) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "assigned_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "search_name" text GENERATED ALWAYS AS (lower(regexp_replace(normalize("leads"."first_name", NFD), '[\u0300-\u036f]', '', 'g'))) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "lead_notes" ADD CONSTRAINT "lead_notes_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lead_notes" ADD CONSTRAINT "lead_notes_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "lead_notes_lead_created_idx" ON "lead_notes" USING btree ("lead_id","created_at" DESC NULLS LAST);--> statement-breakpoint
-- Dropping the old generated column dropped its index; the folded one is searched the same way.
CREATE INDEX "tasks_search_idx" ON "tasks" USING gin ("search");--> statement-breakpoint
-- When each lead reached its current agent: its latest assignment (rows without history keep created_at).
UPDATE "leads" SET "assigned_at" = coalesce(
  (SELECT max("a"."assigned_at") FROM "assignments" "a" WHERE "a"."lead_id" = "leads"."id" AND "a"."agent_id" = "leads"."agent_id"),
  "leads"."created_at");--> statement-breakpoint
-- The one notes box each lead had becomes the first entry of its timeline (author unknown, dated by the lead's last change).
INSERT INTO "lead_notes" ("id", "lead_id", "author_id", "body", "created_at")
SELECT gen_random_uuid(), "id", NULL, "notes", "updated_at" FROM "leads" WHERE "notes" <> '';--> statement-breakpoint
CREATE INDEX "tasks_lead_idx" ON "tasks" USING btree ("lead_id");