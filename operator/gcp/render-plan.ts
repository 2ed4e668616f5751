import { formatCommand, placeholders, type Action, type Command, type Plan } from './action.js';

/**
 * The plan as text: every action with the command that reads it and the command that would create or change it,
 * exactly as apply runs them, then the lookups behind the `${NAME}` values. No secret is in it: the webhook
 * secret is generated during apply (the plan shows how), the GitHub token is only named.
 */

const KIND_WIDTH = 10;

function commandLines(action: Action): string[] {
  const line = (label: string, command: Command) => `      ${label.padEnd(7)} ${formatCommand(command)}`;
  const out = [line('read', action.read)];
  const same = action.create && action.update && formatCommand(action.create) === formatCommand(action.update);
  if (same && action.create) return [...out, line('apply', action.create)];
  if (action.create) out.push(line('create', action.create));
  if (action.update) out.push(line('change', action.update));
  if (!action.create && !action.update && action.hint) out.push(`      ${'if not'.padEnd(7)} ${action.hint}`);
  return out;
}

/** The lookups the actions need, with the ones those lookups need, in order of first use. */
function usedLookups(plan: Plan): string[] {
  const used: string[] = [];
  const visit = (command: Command | undefined) => {
    for (const name of command ? placeholders(command) : []) {
      if (used.includes(name)) continue;
      visit(plan.lookups[name]?.command);
      used.push(name);
    }
  };
  for (const a of plan.actions) [a.read, a.create, a.update].forEach(visit);
  return used;
}

export function renderPlan(plan: Plan, title: string): string[] {
  const width = String(plan.actions.length).length;
  const lines = [
    `${title}: ${plan.actions.length} actions.`,
    'apply runs each read first and the change only when the resource is missing or differs: applying twice',
    'changes nothing the second time. Nothing below has been run.',
    '',
  ];
  for (const [i, action] of plan.actions.entries()) {
    lines.push(`${String(i + 1).padStart(width)}. ${`[${action.kind}]`.padEnd(KIND_WIDTH)} ${action.description}`);
    lines.push(...commandLines(action));
  }
  const lookups = usedLookups(plan);
  if (lookups.length > 0) {
    lines.push('', 'Values found during apply, each when first needed:');
    for (const name of lookups) {
      const lookup = plan.lookups[name];
      if (!lookup) continue;
      const command = formatCommand(lookup.command);
      const shell = lookup.value ? `${command} && ${name}=${lookup.value}` : `${name}=$(${command})`;
      lines.push(`  ${name}: ${lookup.description}`, `      ${shell}`);
    }
  }
  return lines;
}
