ALTER TABLE "assignments" DROP CONSTRAINT "assignments_lead_id_leads_id_fk";
--> statement-breakpoint
ALTER TABLE "assignments" DROP CONSTRAINT "assignments_agent_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "assignments" DROP CONSTRAINT "assignments_assigned_by_users_id_fk";
--> statement-breakpoint
ALTER TABLE "leads" DROP CONSTRAINT "leads_import_id_lead_imports_id_fk";
--> statement-breakpoint
ALTER TABLE "leads" DROP CONSTRAINT "leads_agent_id_users_id_fk";
--> statement-breakpoint
-- The references of leads and assignments, checked once per statement over its transition table
-- instead of once per row: the same rules as the foreign keys above, at a fraction of the cost of a
-- 100,000-lead import. Violations raise foreign_key_violation (23503), like a foreign key would.
CREATE FUNCTION "check_lead_references"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM (SELECT DISTINCT agent_id FROM changed WHERE agent_id IS NOT NULL) c
    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.agent_id)
  ) THEN
    RAISE foreign_key_violation USING MESSAGE = 'leads.agent_id references no user';
  END IF;
  IF EXISTS (
    SELECT 1 FROM (SELECT DISTINCT import_id FROM changed WHERE import_id IS NOT NULL) c
    WHERE NOT EXISTS (SELECT 1 FROM lead_imports i WHERE i.id = c.import_id)
  ) THEN
    RAISE foreign_key_violation USING MESSAGE = 'leads.import_id references no import';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "leads_references_on_insert" AFTER INSERT ON "leads"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "check_lead_references"();
--> statement-breakpoint
CREATE TRIGGER "leads_references_on_update" AFTER UPDATE ON "leads"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "check_lead_references"();
--> statement-breakpoint
CREATE FUNCTION "check_assignment_references"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed c WHERE NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = c.lead_id)) THEN
    RAISE foreign_key_violation USING MESSAGE = 'assignments.lead_id references no lead';
  END IF;
  IF EXISTS (
    SELECT 1 FROM (
      SELECT agent_id AS user_id FROM changed UNION SELECT assigned_by FROM changed WHERE assigned_by IS NOT NULL
    ) c
    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.user_id)
  ) THEN
    RAISE foreign_key_violation USING MESSAGE = 'assignments references no user';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "assignments_references_on_insert" AFTER INSERT ON "assignments"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "check_assignment_references"();
--> statement-breakpoint
CREATE TRIGGER "assignments_references_on_update" AFTER UPDATE ON "assignments"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "check_assignment_references"();
--> statement-breakpoint
-- The referenced side: a user or an import still referenced cannot be deleted (users are deactivated,
-- never deleted); deleting a lead deletes its assignment history, as the cascade did.
CREATE FUNCTION "protect_referenced_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'users' AND (
    EXISTS (SELECT 1 FROM leads l JOIN gone g ON l.agent_id = g.id)
    OR EXISTS (SELECT 1 FROM assignments a JOIN gone g ON a.agent_id = g.id OR a.assigned_by = g.id)
  ) THEN
    RAISE foreign_key_violation USING MESSAGE = 'a deleted user is still referenced by leads or assignments';
  ELSIF TG_TABLE_NAME = 'lead_imports' AND EXISTS (SELECT 1 FROM leads l JOIN gone g ON l.import_id = g.id) THEN
    RAISE foreign_key_violation USING MESSAGE = 'a deleted import still has leads';
  ELSIF TG_TABLE_NAME = 'leads' THEN
    DELETE FROM assignments a USING gone g WHERE a.lead_id = g.id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "users_referenced_on_delete" AFTER DELETE ON "users"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "protect_referenced_rows"();
--> statement-breakpoint
CREATE TRIGGER "lead_imports_referenced_on_delete" AFTER DELETE ON "lead_imports"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "protect_referenced_rows"();
--> statement-breakpoint
CREATE TRIGGER "leads_referenced_on_delete" AFTER DELETE ON "leads"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "protect_referenced_rows"();
