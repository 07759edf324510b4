export { ArchiveError, archiveName, isArchiveName, type Manifest } from './archive.js';
export {
  applyRetention,
  BACKUP_LOCK_KEY,
  BackupBusy,
  BackupRefused,
  openStore,
  runBackup,
  runRestore,
  UploadsNotRestored,
  type BackupResult,
  type RestoreResult,
} from './backup.js';
export { openConnection, type Connection } from './connect.js';
export { checksumAll, listTables, RestoreMismatchError, tableChecksum } from './snapshot.js';
export { applyMigrations, readSchemaVersion } from './schema-version.js';
