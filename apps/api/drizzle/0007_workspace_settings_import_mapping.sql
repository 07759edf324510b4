CREATE TABLE "import_column_mappings" (
	"header_key" text PRIMARY KEY NOT NULL,
	"targets" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workspace_settings" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"default_phone_country" text,
	"public_signup" boolean NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspace_settings_one_row" CHECK ("workspace_settings"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE "lead_imports" ADD COLUMN "problem_rows" jsonb DEFAULT '{"header":[],"rows":[],"truncated":false}'::jsonb NOT NULL;