#include "cli/completion_script.h"

#include <map>
#include <sstream>

namespace jlrec::cli {

namespace {

// Every word below that came from a catalogue (a name, a summary, a help line) is quoted for
// the shell that reads it, although today they are all jlrec's own literals: a help line
// with a quote or a `$` must stay text.

// 'text' for bash and zsh: nothing inside single quotes is special but the quote itself.
std::string ShQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// 'text' for fish, whose single quotes take \\ and \' as escapes.
std::string FishQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

// "a b c": a fixed list for zsh's `(a b c)` and fish's `-a 'a b c'`.
std::string SpaceJoined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Words for a bash array or a `case` pattern list, each quoted.
std::string ShWords(const std::vector<std::string>& words, const char* separator = " ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + ShQuote(w);
  return out;
}

// How a script names a kind of value: `kind` for bash's dispatch (and, for the manifest's
// names, `--names KIND`), `noun` for zsh's and fish's descriptions.
struct ValueWords {
  const char* kind;
  const char* noun;
};
ValueWords WordsOf(CompletionValue value) {
  switch (value) {
    case CompletionValue::kNothing:
      break;
    case CompletionValue::kFile:
      return {"file", "file"};
    case CompletionValue::kChoices:
      return {"choices", "choice"};
    case CompletionValue::kGroups:
      return {"groups", "group"};
    case CompletionValue::kRefs:
      return {"refs", "container"};
    case CompletionValue::kTargets:
      return {"targets", "host/container"};
  }
  return {"", "value"};
}

// How a value is completed, per option spelling, across all commands: an option keeps its
// meaning whichever command it is given to (they share AddCommonOptions and the like).
std::map<std::string, const CompletionOption*> ValuedSpellings(
    const std::vector<CompletionCommand>& commands) {
  std::map<std::string, const CompletionOption*> out;
  for (const auto& c : commands)
    for (const auto& o : c.options)
      if (o.takes_value && o.value != CompletionValue::kNothing)
        for (const auto& s : o.spellings) out.emplace(s, &o);
  return out;
}

const char* const kBashHead =
    R"BASH(# bash completion for jlrec, written by `jlrec completion bash`.
# For this shell:   source <(jlrec completion bash)
# For every shell:  jlrec completion bash > ~/.local/share/bash-completion/completions/jlrec
# (the Debian package installs it as /usr/share/bash-completion/completions/jlrec).
#
# Completes subcommands, their options, and the group and container names of the manifest
# named on the line (-m/--manifest, else $JLREC_MANIFEST, else ./jlrec.yaml), which it asks
# `jlrec completion --names` for: that prints nothing when the manifest does not load, and
# never contacts a host. Nothing typed on the line is evaluated: the manifest's path is
# unquoted here, by hand.

# Sets REPLY to the value of one word as typed: quotes and backslashes removed, a leading
# ~/ made $HOME/. $VAR and $(...) stay as they are: they are never run.
_jlrec_dequote() {
    local word=$1 quote= c i
    REPLY=
    for ((i = 0; i < ${#word}; i++)); do
        c=${word:i:1}
        if [[ $quote == "'" ]]; then
            if [[ $c == "'" ]]; then quote=; else REPLY+=$c; fi
        elif [[ $quote == '"' ]]; then
            if [[ $c == '"' ]]; then
                quote=
            elif [[ $c == '\' && ${word:i+1:1} == [\"\\\$\`] ]]; then
                i=$((i + 1))
                REPLY+=${word:i:1}
            else
                REPLY+=$c
            fi
        elif [[ $c == "'" || $c == '"' ]]; then
            quote=$c
        elif [[ $c == '\' ]]; then
            i=$((i + 1))
            REPLY+=${word:i:1}
        else
            REPLY+=$c
        fi
    done
    if [[ $word == '~' || $word == '~/'* ]]; then REPLY=$HOME${REPLY:1}; fi
}

# Offers each argument that starts with the word being completed.
_jlrec_add() {
    local word
    for word; do
        if [[ $word == "$cur"* ]]; then COMPREPLY+=("$word"); fi
    done
}

# Offers the file names that start with the word being completed.
_jlrec_files() {
    local file
    compopt -o filenames 2>/dev/null
    _jlrec_dequote "$cur"
    while IFS= read -r file; do
        COMPREPLY+=("$file")
    done < <(compgen -f -- "$REPLY")
}

# Offers the manifest's names of kind $1 (groups, refs, targets) that start with the word
# being completed. The jlrec asked is the one being completed when it was typed as a path.
_jlrec_names() {
    local name bin
    local -a args=(completion --names "$1")
    _jlrec_dequote "${COMP_WORDS[0]}"
    bin=$REPLY
    if [[ $bin != */* || ! -x $bin ]]; then bin=jlrec; fi
    if [[ -n $manifest ]]; then
        _jlrec_dequote "$manifest"
        args+=("--manifest=$REPLY")
    fi
    while IFS= read -r name; do
        if [[ $name == "$cur"* ]]; then COMPREPLY+=("$name"); fi
    done < <(command "$bin" "${args[@]}" 2>/dev/null </dev/null)
}

_jlrec() {
    local cur=${COMP_WORDS[COMP_CWORD]} cword=$COMP_CWORD
    local -a words=("${COMP_WORDS[@]}") options=() choices=()
    local value_options= positional= repeated=
    COMPREPLY=()
    if ((cword == 1)); then
        if [[ $cur == -* ]]; then
            _jlrec_add -h --help -V --version
        else
)BASH";

const char* const kBashWalk = R"BASH(        *) return 0 ;;
    esac

    # The line, word by word: the manifest it names (anywhere but the cursor), how many
    # positional words precede the cursor, and the option the cursor's word is a value of.
    # Bash splits --option=value into three words: --option, =, value.
    local i word manifest= npos=0 value_of= dashdash=
    for ((i = 2; i < ${#words[@]}; i++)); do
        word=${words[i]}
        if [[ -z $dashdash && $word == --?* && ${words[i + 1]} == = ]]; then
            if ((cword == i + 1)); then
                value_of=$word cur=
            elif ((cword == i + 2)); then
                value_of=$word
            elif [[ $word == --manifest ]]; then
                manifest=${words[i + 2]}
            fi
            i=$((i + 2))
            continue
        fi
        ((i == cword)) && continue
        if [[ -n $dashdash ]]; then
            continue
        elif [[ $word == -- ]]; then
            ((i < cword)) && dashdash=1
        elif [[ $word == --manifest=* ]]; then
            manifest=${word#--manifest=}
        elif [[ $word == -* ]]; then
            if [[ $value_options == *" $word "* ]]; then
                if ((i + 1 == cword)); then
                    value_of=$word
                elif [[ $word == -m || $word == --manifest ]]; then
                    manifest=${words[i + 1]}
                fi
                i=$((i + 1))
            fi
        elif ((i < cword)); then
            npos=$((npos + 1))
        fi
    done

    if [[ -n $dashdash ]]; then
        _jlrec_files
        return 0
    fi
    if [[ -n $value_of ]]; then
        case $value_of in
)BASH";

const char* const kBashTail = R"BASH(        esac
        return 0
    fi
    if [[ $cur == -* ]]; then
        _jlrec_add "${options[@]}"
        return 0
    fi
    if [[ $repeated != 1 && $npos != 0 ]]; then return 0; fi
    case $positional in
        groups | refs | targets) _jlrec_names "$positional" ;;
        file) _jlrec_files ;;
        choices) _jlrec_add "${choices[@]}" ;;
    esac
    return 0
}

complete -F _jlrec jlrec
)BASH";

}  // namespace

std::string BashCompletionScript(const std::vector<CompletionCommand>& commands) {
  std::ostringstream out;
  out << kBashHead;
  std::vector<std::string> names;
  for (const auto& c : commands) names.push_back(c.name);
  out << "            _jlrec_add " << ShWords(names) << "\n"
      << "        fi\n"
      << "        return 0\n"
      << "    fi\n"
      << "    case ${words[1]} in\n";
  for (const auto& c : commands) {
    std::vector<std::string> spellings, valued;
    for (const auto& o : c.options)
      for (const auto& s : o.spellings) {
        spellings.push_back(s);
        if (o.takes_value) valued.push_back(s);
      }
    std::string valued_list = " ";
    for (const auto& s : valued) valued_list += s + " ";
    out << "        " << ShQuote(c.name) << ")\n"
        << "            options=(" << ShWords(spellings) << ")\n"
        << "            value_options=" << ShQuote(valued_list) << "\n";
    if (!c.positional_choices.empty())
      out << "            choices=(" << ShWords(c.positional_choices) << ")\n";
    out << "            positional=" << ShQuote(WordsOf(c.positional).kind)
        << " repeated=" << (c.repeated ? "1" : "0") << "\n"
        << "            ;;\n";
  }
  out << kBashWalk;
  // Options with the same way to complete them share an arm.
  std::map<std::string, std::vector<std::string>> arms;
  for (const auto& [spelling, o] : ValuedSpellings(commands)) {
    std::string action;
    if (o->value == CompletionValue::kFile)
      action = "_jlrec_files";
    else if (o->value == CompletionValue::kChoices)
      action = "_jlrec_add " + ShWords(o->choices);
    else
      action = std::string("_jlrec_names ") + WordsOf(o->value).kind;
    arms[action].push_back(spelling);
  }
  for (const auto& [action, spellings] : arms)
    out << "            " << ShWords(spellings, " | ") << ") " << action << " ;;\n";
  out << kBashTail;
  return out.str();
}

namespace {

// An `_arguments` explanation: brackets and backslashes escaped (it ends at the first `]`).
std::string ZshExplanation(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The `:message:action` tail of an `_arguments` spec for a value.
std::string ZshValue(CompletionValue value, const std::vector<std::string>& choices) {
  const std::string message = std::string(":") + WordsOf(value).noun + ":";
  switch (value) {
    case CompletionValue::kNothing:
      return message + " ";
    case CompletionValue::kFile:
      return message + "_files";
    case CompletionValue::kChoices:
      return message + "(" + SpaceJoined(choices) + ")";
    default:
      return message + "{_jlrec_names " + WordsOf(value).kind + " " + WordsOf(value).noun + "}";
  }
}

const char* const kZshHead = R"ZSH(#compdef jlrec
# zsh completion for jlrec, written by `jlrec completion zsh`.
# For this shell:   source <(jlrec completion zsh)     (after compinit)
# For every shell:  save it as _jlrec in a directory of $fpath (the Debian package installs
#                   /usr/share/zsh/vendor-completions/_jlrec)
#
# Completes subcommands, their options, and the group and container names of the manifest
# named on the line (-m/--manifest, else $JLREC_MANIFEST, else ./jlrec.yaml), which it asks
# `jlrec completion --names` for: that prints nothing when the manifest does not load, and
# never contacts a host. Nothing typed on the line is evaluated: the manifest's path is
# unquoted with (Q), which removes quotes and expands nothing.

# Completes the manifest's names of kind $1 (groups, refs, targets), described as $2, from
# the jlrec and manifest _jlrec found on the line.
_jlrec_names() {
  local -a names args expl
  args=(completion --names "$1")
  [[ -n $_jlrec_manifest ]] && args+=("--manifest=$_jlrec_manifest")
  command -v $_jlrec_bin >/dev/null || return 1
  names=(${(f)"$(command "$_jlrec_bin" "${args[@]}" 2>/dev/null </dev/null)"})
  _wanted "$1" expl "$2" compadd -a names
}

_jlrec() {
  local _jlrec_bin=${(Q)words[1]} _jlrec_manifest= word= i
  [[ $words[1] == '~/'* ]] && _jlrec_bin=$HOME/${_jlrec_bin#\~/}
  [[ $_jlrec_bin == */* && -x $_jlrec_bin ]] || _jlrec_bin=jlrec
  for ((i = 2; i <= $#words; i++)); do
    (( i == CURRENT )) && continue
    case $words[i] in
      (--) break ;;
      (-m|--manifest) (( i + 1 != CURRENT )) && word=$words[i+1] ;;
      (--manifest=*) word=${words[i]#--manifest=} ;;
    esac
  done
  if [[ -n $word ]]; then
    _jlrec_manifest=${(Q)word}
    [[ $word == '~' || $word == '~/'* ]] && _jlrec_manifest=$HOME${_jlrec_manifest#\~}
  fi

  local curcontext=$curcontext state state_descr line ret=1
  typeset -A opt_args
  _arguments -C \
    '(- *)'{-h,--help}'[list the commands]' \
    '(- *)'{-V,--version}'[print the version]' \
    '1: :->command' \
    '*:: :->argument' && ret=0
  case $state in
    (command)
      local -a commands
      commands=(
)ZSH";

const char* const kZshTail = R"ZSH(      esac
      ;;
  esac
  return ret
}

if [[ $funcstack[1] == _jlrec ]]; then
  _jlrec "$@"
else
  compdef _jlrec jlrec
fi
)ZSH";

}  // namespace

std::string ZshCompletionScript(const std::vector<CompletionCommand>& commands) {
  std::ostringstream out;
  out << kZshHead;
  for (const auto& c : commands) {
    std::string entry;
    for (char ch : c.name) entry += ch == ':' ? std::string("\\:") : std::string(1, ch);
    out << "        " << ShQuote(entry + ":" + c.summary) << "\n";
  }
  out << "      )\n"
      << "      _describe -t commands 'jlrec command' commands && ret=0\n"
      << "      ;;\n"
      << "    (argument)\n"
      << "      curcontext=${curcontext%:*:*}:jlrec-$words[1]:\n"
      << "      case $words[1] in\n";
  for (const auto& c : commands) {
    out << "        (" << ShQuote(c.name) << ")\n"
        << "          _arguments -s -S";
    for (const auto& o : c.options) {
      // Each spelling is a spec of its own; two exclude each other, unless the option may be
      // repeated (`*`: offered again).
      std::string exclusion;
      if (o.repeatable) {
        exclusion = "*";
      } else if (o.spellings.size() > 1) {
        for (const auto& s : o.spellings) exclusion += (exclusion.empty() ? "" : " ") + s;
        exclusion = "(" + exclusion + ")";
      }
      for (const auto& s : o.spellings) {
        std::string spec = exclusion + s;
        if (o.takes_value) spec += s.size() == 2 ? "+" : "=";
        spec += "[" + ZshExplanation(o.help) + "]";
        if (o.takes_value) spec += ZshValue(o.value, o.choices);
        out << " \\\n            " << ShQuote(spec);
      }
    }
    if (c.positional != CompletionValue::kNothing) {
      out << " \\\n            "
          << ShQuote((c.repeated ? "*" : "1") + ZshValue(c.positional, c.positional_choices));
    }
    out << " && ret=0\n"
        << "          ;;\n";
  }
  out << kZshTail;
  return out.str();
}

namespace {

const char* const kFishHead =
    R"FISH(# fish completion for jlrec, written by `jlrec completion fish`.
# For this shell:   jlrec completion fish | source
# For every shell:  jlrec completion fish > ~/.config/fish/completions/jlrec.fish
# (the Debian package installs /usr/share/fish/vendor_completions.d/jlrec.fish)
#
# Completes subcommands, their options, and the group and container names of the manifest
# named on the line (-m/--manifest, else $JLREC_MANIFEST, else ./jlrec.yaml), which it asks
# `jlrec completion --names` for: that prints nothing when the manifest does not load, and
# never contacts a host. Nothing typed on the line is evaluated: fish hands the words over
# unquoted, and they are only ever passed as arguments.

# True before the subcommand is typed.
function __jlrec_needs_command
    set -l words (commandline -opc)
    test (count $words) -eq 1
end

# True when completing an option of subcommand $argv[1] (not after `--`).
function __jlrec_options_of
    set -l words (commandline -opc)
    test (count $words) -ge 2; and test "$words[2]" = "$argv[1]"; or return 1
    not contains -- -- $words[3..-1]
end

# True when completing positional word $argv[2] (0 = the first; `any`) of subcommand
# $argv[1] (not after `--`).
function __jlrec_positional
    set -l words (commandline -opc)
    test (count $words) -ge 2; and test "$words[2]" = "$argv[1]"; or return 1
    set -l count 0
    set -l skip 0
    for word in $words[3..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $word
            case --
                return 1
            case '--*=*'
            case '-*'
                __jlrec_takes_value $argv[1] $word; and set skip 1
            case '*'
                set count (math $count + 1)
        end
    end
    test "$argv[2]" = any; or test $count -eq $argv[2]
end

# Prints the manifest's names of kind $argv[1] (groups, refs, targets), from the manifest
# named on the line, asking the jlrec being completed when it was typed as a path.
function __jlrec_names
    set -l words (commandline -opc)
    set -l bin $words[1]
    if not string match -q -- '*/*' $bin; or not test -x $bin
        set bin jlrec
    end
    set -l manifest
    set -l i 2
    while test $i -le (count $words)
        switch $words[$i]
            case --
                break
            case -m --manifest
                set i (math $i + 1)
                set -q words[$i]; and set manifest $words[$i]
            case '--manifest=*'
                set manifest (string replace -- --manifest= '' $words[$i])
        end
        set i (math $i + 1)
    end
    command -q $bin; or return 0
    set -l args completion --names $argv[1]
    if test -n "$manifest"
        string match -q -- '~/*' $manifest; and set manifest $HOME(string sub -s 2 -- $manifest)
        set -a args --manifest=$manifest
    end
    command $bin $args 2>/dev/null </dev/null
end

complete -c jlrec -f
complete -c jlrec -n __jlrec_needs_command -s h -l help -d 'list the commands'
complete -c jlrec -n __jlrec_needs_command -s V -l version -d 'print the version'
)FISH";

}  // namespace

std::string FishCompletionScript(const std::vector<CompletionCommand>& commands) {
  std::ostringstream out;
  out << kFishHead;
  for (const auto& c : commands)
    out << "complete -c jlrec -n __jlrec_needs_command -a " << FishQuote(c.name) << " -d "
        << FishQuote(c.summary) << "\n";

  out << "\n# Which options of a subcommand take a value (the next word).\n"
      << "function __jlrec_takes_value\n"
      << "    switch $argv[1]\n";
  for (const auto& c : commands) {
    std::string valued;
    for (const auto& o : c.options)
      if (o.takes_value)
        for (const auto& s : o.spellings) valued += " " + FishQuote(s);
    out << "        case " << FishQuote(c.name) << "\n"
        << "            contains -- $argv[2]" << (valued.empty() ? " ''" : valued) << "\n";
  }
  out << "        case '*'\n"
      << "            return 1\n"
      << "    end\n"
      << "end\n";

  for (const auto& c : commands) {
    out << "\n# jlrec " << c.name << "\n";
    const std::string when = " -n " + FishQuote("__jlrec_options_of " + c.name);
    for (const auto& o : c.options) {
      out << "complete -c jlrec" << when;
      for (const auto& s : o.spellings)
        out << (s.size() == 2 ? " -s " : " -l ") << FishQuote(s.substr(s.size() == 2 ? 1 : 2));
      if (o.takes_value) {
        switch (o.value) {
          case CompletionValue::kNothing:
            out << " -x";
            break;
          case CompletionValue::kFile:
            out << " -r -F";
            break;
          case CompletionValue::kChoices:
            out << " -x -a " << FishQuote(SpaceJoined(o.choices));
            break;
          default:
            out << " -x -a "
                << FishQuote(std::string("(__jlrec_names ") + WordsOf(o.value).kind + ")");
        }
      }
      out << " -d " << FishQuote(o.help) << "\n";
    }
    if (c.positional == CompletionValue::kNothing) continue;
    out << "complete -c jlrec -n "
        << FishQuote("__jlrec_positional " + c.name + (c.repeated ? " any" : " 0"));
    switch (c.positional) {
      case CompletionValue::kFile:
        out << " -F\n";
        break;
      case CompletionValue::kChoices:
        out << " -a " << FishQuote(SpaceJoined(c.positional_choices)) << "\n";
        break;
      default:
        out << " -a "
            << FishQuote(std::string("(__jlrec_names ") + WordsOf(c.positional).kind + ")")
            << " -d " << FishQuote(WordsOf(c.positional).noun) << "\n";
    }
  }
  return out.str();
}

}  // namespace jlrec::cli
