import fs from 'node:fs';

/**
 * Whether a file may tell mensemble what to run as the user who runs it:
 * owned by that user or by root, and writable by nobody else (neither its
 * group nor everyone). A settings file found by walking up from the
 * configuration may lie in a shared folder (/scratch, a colleague's
 * project); git refuses such files for the same reason (CVE-2022-24765).
 * Returns why not, or undefined when it is trusted.
 */
export function whyUntrusted(stat: fs.Stats, uid = process.getuid?.()): string | undefined {
  if (uid === undefined) return undefined; // no users to tell apart (Windows)
  if (stat.uid !== uid && stat.uid !== 0) return `it is owned by ${userName(stat.uid)}, not by you (${userName(uid)}) or root`;
  const mode = `mode ${(stat.mode & 0o777).toString(8)}`;
  if (stat.mode & 0o002) return `it is writable by every user (${mode})`;
  if (stat.mode & 0o020 && !isPrivateGroup(stat.gid, stat.uid)) return `it is writable by its group (${groupName(stat.gid)}, ${mode})`;
  return undefined;
}

/**
 * A user private group (Debian's default, with umask 002): named as its
 * user, whose primary group it is. Group write there gives nobody else a way in.
 */
function isPrivateGroup(gid: number, uid: number): boolean {
  const user = entryOf('/etc/passwd', uid);
  const group = entryOf('/etc/group', gid);
  if (!user || !group) return false;
  const members = (group[3] ?? '').split(',').filter(Boolean);
  return group[0] === user[0] && Number(user[3]) === gid && members.every((m) => m === user[0]);
}

/** A user's name from /etc/passwd, with the uid; the uid alone when unknown. */
export function userName(uid: number): string {
  return nameFromDatabase('/etc/passwd', uid) ?? `uid ${uid}`;
}

function groupName(gid: number): string {
  return nameFromDatabase('/etc/group', gid) ?? `gid ${gid}`;
}

function nameFromDatabase(file: string, id: number): string | undefined {
  const fields = entryOf(file, id);
  return fields && `${fields[0]} (${id})`;
}

/** The fields of the line of /etc/passwd or /etc/group for an id; undefined when unknown or unreadable. */
function entryOf(file: string, id: number): string[] | undefined {
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields.length > 2 && fields[2] !== '' && Number(fields[2]) === id) return fields;
    }
  } catch {
    // Not readable: the id alone says enough.
  }
  return undefined;
}
