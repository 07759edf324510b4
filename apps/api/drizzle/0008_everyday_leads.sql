CREATE TABLE "lead_notes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"lead_id" uuid NOT NULL,
	"author_id" uuid,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tasks" drop column "search";--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english', case when "tasks"."title" ~ '[^\x01-\x7f]' then lower(regexp_replace(normalize("tasks"."title", NFD), '[\u0300-\u036f]', '', 'g')) else lower("tasks"."title") end), 'A') || setweight(to_tsvector('english', case when "tasks"."description" ~ '[^\x01-\x7f]' then lower(regexp_replace(normalize("tasks"."description", NFD), '[\u0300-\u036f]', '', 'g')) else lower("tasks"."description") end), 'B')) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "assigned_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "search_name" text GENERATED ALWAYS AS (case when "leads"."first_name" ~ '[^\x01-\x7f]' then lower(regexp_replace(normalize("leads"."first_name", NFD), '[\u0300-\u036f]', '', 'g')) else lower("leads"."first_name") end) STORED NOT NULL;--> statement-breakpoint
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
CREATE INDEX "tasks_lead_idx" ON "tasks" USING btree ("lead_id");--> statement-breakpoint
-- lead_notes' references, checked once per statement like those of leads and assignments (0002): an
-- import inserts a note per lead, and a row-level foreign key check per note cost as much again.
CREATE FUNCTION "check_lead_note_references"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed c WHERE NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = c.lead_id)) THEN
    RAISE foreign_key_violation USING MESSAGE = 'lead_notes.lead_id references no lead';
  END IF;
  IF EXISTS (
    SELECT 1 FROM (SELECT DISTINCT author_id FROM changed WHERE author_id IS NOT NULL) c
    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.author_id)
  ) THEN
    RAISE foreign_key_violation USING MESSAGE = 'lead_notes.author_id references no user';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "lead_notes_references_on_insert" AFTER INSERT ON "lead_notes"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "check_lead_note_references"();
--> statement-breakpoint
CREATE TRIGGER "lead_notes_references_on_update" AFTER UPDATE ON "lead_notes"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "check_lead_note_references"();
--> statement-breakpoint
-- The referenced side, as 0002's function with the notes added: a user who wrote notes cannot be
-- deleted (users are deactivated, never deleted); deleting a lead deletes its notes with its history.
CREATE OR REPLACE FUNCTION "protect_referenced_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'users' AND (
    EXISTS (SELECT 1 FROM leads l JOIN gone g ON l.agent_id = g.id)
    OR EXISTS (SELECT 1 FROM assignments a JOIN gone g ON a.agent_id = g.id OR a.assigned_by = g.id)
    OR EXISTS (SELECT 1 FROM lead_notes n JOIN gone g ON n.author_id = g.id)
  ) THEN
    RAISE foreign_key_violation USING MESSAGE = 'a deleted user is still referenced by leads, assignments or notes';
  ELSIF TG_TABLE_NAME = 'lead_imports' AND EXISTS (SELECT 1 FROM leads l JOIN gone g ON l.import_id = g.id) THEN
    RAISE foreign_key_violation USING MESSAGE = 'a deleted import still has leads';
  ELSIF TG_TABLE_NAME = 'leads' THEN
    DELETE FROM assignments a USING gone g WHERE a.lead_id = g.id;
    DELETE FROM lead_notes n USING gone g WHERE n.lead_id = g.id;
  END IF;
  RETURN NULL;
END $$;
