import { UserError } from '../util/errors.js';

/** A command as completion sees it: its name and its options (`--long`, `-x`). */
export interface CompletedCommand {
  name: string;
  options: string[];
}

/**
 * The completion script for bash or zsh (`mensemble completion bash`):
 * commands first, then each command's options; anything else completes file
 * names (configurations, run ids are typed). The word lists are written into
 * the script as literal words: they are mensemble's own option names.
 */
export function completionScript(shell: string, commands: readonly CompletedCommand[]): string {
  if (shell !== 'bash' && shell !== 'zsh') throw new UserError(`\`mensemble completion ${shell}\`: completion is written for bash and zsh. Add \`source <(mensemble completion bash)\` to ~/.bashrc, or \`source <(mensemble completion zsh)\` to ~/.zshrc.`);
  const cases = commands.map((c) => `    ${c.name}) opts="${c.options.join(' ')}" ;;`).join('\n');
  const bash = `_mensemble() {
  local cur=\${COMP_WORDS[COMP_CWORD]} opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')}" -- "$cur"))
    return
  fi
  case \${COMP_WORDS[1]} in
${cases}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _mensemble mensemble
`;
  // zsh runs bash completion functions through bashcompinit.
  return shell === 'bash' ? `# mensemble completion for bash: source <(mensemble completion bash)\n${bash}` : `# mensemble completion for zsh: source <(mensemble completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash}`;
}
