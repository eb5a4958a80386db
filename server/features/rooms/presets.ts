/**
 * Conversations' room presets as answers to a room's own configuration form (XEP-0045 §10.2, muc#roomconfig).
 * Only fields the form offers are answered, each in the shape the form gives it (a boolean only to a boolean field,
 * a list value only when it is one of the options): a service that names a field otherwise keeps its default.
 */
import type { DataForm, FieldAnswer } from '../../stanza/data-form.js';

export type RoomPreset = 'group' | 'channel';

/** Private group: members-only, non-anonymous, persistent, hidden. Channel: public, open, semi-anonymous, persistent. */
const PRESETS: Record<RoomPreset, Record<string, boolean | string>> = {
  group: {
    'muc#roomconfig_membersonly': true,
    'muc#roomconfig_whois': 'anyone',
    'muc#roomconfig_persistentroom': true,
    'muc#roomconfig_publicroom': false,
    // Members may add members: a family group should not need its owner for every newcomer.
    'muc#roomconfig_allowinvites': true,
    'muc#roomconfig_changesubject': true,
    'muc#roomconfig_moderatedroom': false,
  },
  channel: {
    'muc#roomconfig_publicroom': true,
    'muc#roomconfig_membersonly': false,
    'muc#roomconfig_whois': 'moderators',
    'muc#roomconfig_persistentroom': true,
    'muc#roomconfig_changesubject': false,
  },
};

export function presetAnswers(form: DataForm, preset: RoomPreset, name?: string): Record<string, FieldAnswer> {
  const wanted: Record<string, boolean | string> = { ...PRESETS[preset] };
  if (name) wanted['muc#roomconfig_roomname'] = name;
  const out: Record<string, FieldAnswer> = {};
  for (const [v, value] of Object.entries(wanted)) {
    const field = form.fields.find((f) => f.var === v);
    if (!field) continue;
    if (typeof value === 'boolean') {
      if (field.type === 'boolean') out[v] = value;
    } else if (field.type === 'list-single') {
      if (field.options.length === 0 || field.options.some((o) => o.value === value)) out[v] = value;
    } else if (field.type === 'text-single' || field.type === 'text-private') {
      out[v] = value;
    }
  }
  return out;
}
