-- The append-only history partitioned by month (issue 12, docs/operations.md "Partition maintenance"):
-- assignments by assigned_at, the outbox by created_at, the activity log by occurred_at. drizzle-kit
-- has no PARTITION BY, so this migration is written by hand; its snapshot (0010_snapshot.json) is
-- what drizzle-kit generated for the schema's new composite primary keys, which is what these tables
-- have. leads stays whole: its unique phone index cannot span partitions (the measurement is in
-- docs/operations.md). Existing rows are copied into the partitioned tables in this transaction.
-- assignments: a partitioned copy filled from the old table, which it then replaces under the same name.
CREATE TABLE "assignments_partitioned" (
	"id" uuid NOT NULL,
	"lead_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"assigned_at" timestamp with time zone DEFAULT now() NOT NULL,
	"assigned_by" uuid,
	"reason" "assignment_reason" NOT NULL,
	CONSTRAINT "assignments_id_assigned_at_pk" PRIMARY KEY("id","assigned_at")
) PARTITION BY RANGE ("assigned_at");
--> statement-breakpoint
-- One partition per UTC month from the oldest row's month to three months ahead (partitions.ts keeps
-- three ahead from then on), and a default partition so that no insert ever fails for a missing month.
DO $$
DECLARE
  m timestamp := date_trunc('month', coalesce((SELECT min("assigned_at") FROM "assignments"), now()) AT TIME ZONE 'UTC');
  last timestamp := date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months';
BEGIN
  -- Rows dated more than ten years back (a clock gone wrong) go to the default partition instead.
  m := greatest(m, date_trunc('month', now() AT TIME ZONE 'UTC') - interval '120 months');
  WHILE m <= last LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "assignments_partitioned" FOR VALUES FROM (%L) TO (%L)',
      'assignments_p' || to_char(m, 'YYYYMM'), to_char(m, 'YYYY-MM-DD "00:00:00+00"'),
      to_char(m + interval '1 month', 'YYYY-MM-DD "00:00:00+00"'));
    m := m + interval '1 month';
  END LOOP;
END $$;
--> statement-breakpoint
CREATE TABLE "assignments_default" PARTITION OF "assignments_partitioned" DEFAULT;
--> statement-breakpoint
INSERT INTO "assignments_partitioned" ("id", "lead_id", "agent_id", "assigned_at", "assigned_by", "reason") SELECT "id", "lead_id", "agent_id", "assigned_at", "assigned_by", "reason" FROM "assignments";
--> statement-breakpoint
DROP TABLE "assignments";
--> statement-breakpoint
ALTER TABLE "assignments_partitioned" RENAME TO "assignments";
--> statement-breakpoint
CREATE INDEX "assignments_lead_idx" ON "assignments" USING btree ("lead_id");
--> statement-breakpoint
CREATE INDEX "assignments_agent_idx" ON "assignments" USING btree ("agent_id");
--> statement-breakpoint
-- The references checked once per statement (0002), on the new table: statement-level triggers with
-- transition tables on a partitioned table see the rows of every partition the statement wrote.
CREATE TRIGGER "assignments_references_on_insert" AFTER INSERT ON "assignments"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "check_assignment_references"();
--> statement-breakpoint
CREATE TRIGGER "assignments_references_on_update" AFTER UPDATE ON "assignments"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "check_assignment_references"();
--> statement-breakpoint
-- outbox: a partitioned copy filled from the old table, which it then replaces under the same name.
CREATE TABLE "outbox_partitioned" (
	"id" uuid NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"audience" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"actor_id" uuid,
	"source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	CONSTRAINT "outbox_id_created_at_pk" PRIMARY KEY("id","created_at")
) PARTITION BY RANGE ("created_at");
--> statement-breakpoint
-- One partition per UTC month from the oldest row's month to three months ahead (partitions.ts keeps
-- three ahead from then on), and a default partition so that no insert ever fails for a missing month.
DO $$
DECLARE
  m timestamp := date_trunc('month', coalesce((SELECT min("created_at") FROM "outbox"), now()) AT TIME ZONE 'UTC');
  last timestamp := date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months';
BEGIN
  -- Rows dated more than ten years back (a clock gone wrong) go to the default partition instead.
  m := greatest(m, date_trunc('month', now() AT TIME ZONE 'UTC') - interval '120 months');
  WHILE m <= last LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "outbox_partitioned" FOR VALUES FROM (%L) TO (%L)',
      'outbox_p' || to_char(m, 'YYYYMM'), to_char(m, 'YYYY-MM-DD "00:00:00+00"'),
      to_char(m + interval '1 month', 'YYYY-MM-DD "00:00:00+00"'));
    m := m + interval '1 month';
  END LOOP;
END $$;
--> statement-breakpoint
CREATE TABLE "outbox_default" PARTITION OF "outbox_partitioned" DEFAULT;
--> statement-breakpoint
INSERT INTO "outbox_partitioned" ("id", "topic", "payload", "audience", "actor_id", "source", "created_at", "published_at") SELECT "id", "topic", "payload", "audience", "actor_id", "source", "created_at", "published_at" FROM "outbox";
--> statement-breakpoint
DROP TABLE "outbox";
--> statement-breakpoint
ALTER TABLE "outbox_partitioned" RENAME TO "outbox";
--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "outbox" USING btree ("id") WHERE published_at is null;
--> statement-breakpoint
CREATE INDEX "outbox_published_at_idx" ON "outbox" USING btree ("published_at");
--> statement-breakpoint
-- activity: a partitioned copy filled from the old table, which it then replaces under the same name.
CREATE TABLE "activity_partitioned" (
	"event_id" uuid NOT NULL,
	"topic" text NOT NULL,
	"actor_id" uuid,
	"payload" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "activity_event_id_occurred_at_pk" PRIMARY KEY("event_id","occurred_at")
) PARTITION BY RANGE ("occurred_at");
--> statement-breakpoint
-- One partition per UTC month from the oldest row's month to three months ahead (partitions.ts keeps
-- three ahead from then on), and a default partition so that no insert ever fails for a missing month.
DO $$
DECLARE
  m timestamp := date_trunc('month', coalesce((SELECT min("occurred_at") FROM "activity"), now()) AT TIME ZONE 'UTC');
  last timestamp := date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months';
BEGIN
  -- Rows dated more than ten years back (a clock gone wrong) go to the default partition instead.
  m := greatest(m, date_trunc('month', now() AT TIME ZONE 'UTC') - interval '120 months');
  WHILE m <= last LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "activity_partitioned" FOR VALUES FROM (%L) TO (%L)',
      'activity_p' || to_char(m, 'YYYYMM'), to_char(m, 'YYYY-MM-DD "00:00:00+00"'),
      to_char(m + interval '1 month', 'YYYY-MM-DD "00:00:00+00"'));
    m := m + interval '1 month';
  END LOOP;
END $$;
--> statement-breakpoint
CREATE TABLE "activity_default" PARTITION OF "activity_partitioned" DEFAULT;
--> statement-breakpoint
INSERT INTO "activity_partitioned" ("event_id", "topic", "actor_id", "payload", "occurred_at", "recorded_at") SELECT "event_id", "topic", "actor_id", "payload", "occurred_at", "recorded_at" FROM "activity";
--> statement-breakpoint
DROP TABLE "activity";
--> statement-breakpoint
ALTER TABLE "activity_partitioned" RENAME TO "activity";
--> statement-breakpoint
CREATE INDEX "activity_occurred_idx" ON "activity" USING btree ("occurred_at");
