/**
 * `lifeboat completion bash|zsh|fish`: a shell completion script generated from the command tree itself, so every
 * command, flag and fixed choice (`-o table|json|yaml`, `--backend kopia|restic`) completes without a second list to
 * keep in step. File flags complete file names. The script also completes `kubectl-lifeboat` (the kubectl plugin).
 */
import { type Command, Option } from 'commander';
import { usage } from './exit-codes.ts';
import type { Io } from './io.ts';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
const NAMES = ['lifeboat', 'kubectl-lifeboat'];
/** Flags whose value is a path: complete file names. */
const FILE_FLAG = /^--(filename|config|kubeconfig|password-file|values)$/;

interface Spec {
  name: string;
  description: string;
  flags: { long: string; short?: string; description: string; takesValue: boolean; choices?: readonly string[] }[];
}

function specs(program: Command): Spec[] {
  return program.commands
    .filter((c) => c.name() !== 'help')
    .map((c) => ({
      name: c.name(),
      description: c.description(),
      flags: [...c.options, new Option('-h, --help', 'display help')].map((o) => ({
        long: o.long ?? '',
        ...(o.short ? { short: o.short } : {}),
        description: o.description,
        takesValue: o.required || o.optional,
        ...(o.argChoices ? { choices: o.argChoices } : {}),
      })),
    }));
}

function bash(program: Command): string {
  const commands = specs(program);
  const cases = commands.map((c) => {
    const words = c.flags.flatMap((f) => [f.long, ...(f.short ? [f.short] : [])]).join(' ');
    const values = c.flags
      .filter((f) => f.choices || FILE_FLAG.test(f.long))
      .map((f) => {
        const pattern = [f.long, ...(f.short ? [f.short] : [])].join('|');
        const reply = f.choices
          ? `COMPREPLY=($(compgen -W "${f.choices.join(' ')}" -- "$cur"))`
          : 'COMPREPLY=($(compgen -f -- "$cur"))';
        return `        ${pattern}) ${reply}; return ;;`;
      });
    return [
      `    ${c.name})`,
      ...(values.length > 0 ? ['      case "$prev" in', ...values, '      esac'] : []),
      `      COMPREPLY=($(compgen -W "${words}" -- "$cur")) ;;`,
    ].join('\n');
  });
  return `# lifeboat completion for bash: source <(lifeboat completion bash)
_lifeboat() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} help --help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
  esac
}
complete -o default -F _lifeboat ${NAMES.join(' ')}
`;
}

function zsh(program: Command): string {
  // zsh runs the bash function through bashcompinit: one generator, the same answers in both shells.
  return `# lifeboat completion for zsh: source <(lifeboat completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(program).split('\n').slice(1).join('\n')}`;
}

function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function fish(program: Command): string {
  const lines = ['# lifeboat completion for fish: lifeboat completion fish | source'];
  for (const name of NAMES) {
    const commands = specs(program);
    lines.push(`complete -c ${name} -f`);
    for (const c of commands) {
      lines.push(
        `complete -c ${name} -n __fish_use_subcommand -a ${c.name} -d ${fishQuote(c.description.slice(0, 80))}`,
      );
      for (const f of c.flags) {
        const parts = [`complete -c ${name} -n ${fishQuote(`__fish_seen_subcommand_from ${c.name}`)}`];
        if (f.long) parts.push(`-l ${f.long.replace(/^--/, '')}`);
        if (f.short) parts.push(`-s ${f.short.replace(/^-/, '')}`);
        if (f.choices) parts.push(`-x -a ${fishQuote(f.choices.join(' '))}`);
        else if (FILE_FLAG.test(f.long)) parts.push('-r -F');
        else if (f.takesValue) parts.push('-x');
        parts.push(`-d ${fishQuote(f.description.slice(0, 80))}`);
        lines.push(parts.join(' '));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

export function registerCompletion(program: Command, io: Io): void {
  program
    .command('completion')
    .argument('<shell>', SHELLS.join(', '))
    .description('print a shell completion script: source <(lifeboat completion bash), or add it to your shell profile')
    .action((shell: string) => {
      if (shell === 'bash') io.out(bash(program));
      else if (shell === 'zsh') io.out(zsh(program));
      else if (shell === 'fish') io.out(fish(program));
      else throw usage(`unknown shell "${shell}": use ${SHELLS.join(', ')}`);
    });
}
