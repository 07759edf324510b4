/**
 * What an outside client gets from `openapi-typescript openapi.json`: `npm run openapi:lint`
 * generates openapi.d.ts beside this file and typechecks this file against it. Each resource is a
 * named schema, operations refer to it, and its type is the one the contracts infer, both ways.
 */
import type { z } from 'zod';
import type * as contracts from '@crewdesk/contracts';
import type { components, operations, paths } from './openapi.js';

type Schemas = components['schemas'];
/** Compiles only when A and B accept the same values. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(proof: Same<A, B>) => proof;

same<Schemas['Task'], contracts.Task>(true);
same<Schemas['TaskPage']['items'][number], contracts.Task>(true);
same<Schemas['TaskStats'], contracts.TaskStats>(true);
same<Schemas['Lead'], contracts.Lead>(true);
same<Schemas['LeadStats'], contracts.LeadStats>(true);
same<Schemas['Agent'], contracts.Agent>(true);
same<Schemas['User'], contracts.User>(true);
same<Schemas['Session'], contracts.Session>(true);
same<Schemas['AuthResponse'], contracts.AuthResponse>(true);
same<Schemas['LeadImport'], contracts.LeadImport>(true);
same<Schemas['ImportReport'], contracts.ImportReport>(true);
same<Schemas['WorkspaceSettings'], contracts.WorkspaceSettings>(true);
same<Schemas['Problem'], contracts.Problem>(true);
same<Schemas['LiveEvent'], contracts.LiveEvent>(true);
same<Schemas['Role'], contracts.Role>(true);
// Request bodies are what a client may send: the contracts' input types.
same<Schemas['CreateTaskBody'], z.input<typeof contracts.createTaskBody>>(true);
same<Schemas['UpdateLeadBody'], z.input<typeof contracts.updateLeadBody>>(true);

// Operations answer with the named schemas, and errors with problem details.
same<paths['/api/v1/tasks/{id}']['get']['responses'][200]['content']['application/json'], Schemas['Task']>(true);
same<operations['listLeads']['responses'][200]['content']['application/json'], Schemas['LeadPage']>(true);
same<operations['getTask']['responses'][404]['content']['application/problem+json'], Schemas['Problem']>(true);
same<operations['listTasks']['responses'][429]['content']['application/problem+json'], Schemas['Problem']>(true);
same<operations['exportTasks']['responses'][200]['content']['text/csv'], string>(true);
same<operations['importLeads']['requestBody']['content']['multipart/form-data'], Schemas['LeadImportForm']>(true);
