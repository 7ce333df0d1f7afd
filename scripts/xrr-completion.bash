# bash completion for xrr: commands, each command's options and trace
# names.  Commands and options are read from xrr's own --help output, so
# they stay in step with the program; trace names from the trace
# directory (the rule `xrr ls` uses).

_xrr_trace_root()
{
	if [[ -n ${XRR_TRACE_DIR-} ]]; then
		printf '%s\n' "$XRR_TRACE_DIR"
	elif [[ -n ${XDG_DATA_HOME-} ]]; then
		printf '%s\n' "$XDG_DATA_HOME/xrr"
	else
		printf '%s\n' "$HOME/.local/share/xrr"
	fi
}

_xrr_traces()
{
	local root d
	root=$(_xrr_trace_root)
	[[ -d $root ]] || return 0
	for d in "$root"/*/; do
		[[ -d $d ]] && basename -- "$d"
	done
}

_xrr_commands()
{
	"$1" --help 2>/dev/null | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }'
}

_xrr_options()
{
	"$1" "$2" --help 2>&1 | grep -oE -- '(^|[ ,\[|(])--?[a-zA-Z][a-zA-Z0-9-]*' |
		sed -E 's/^[ ,\[|(]//' | sort -u
}

_xrr()
{
	local cur prev words cword
	_init_completion || return
	local xrr=${words[0]}

	if ((cword == 1)); then
		COMPREPLY=($(compgen -W "$(_xrr_commands "$xrr") --help --version" -- "$cur"))
		return
	fi
	local cmd=${words[1]}
	case $prev in
	-o | --output | --unix)
		_filedir -d
		return
		;;
	--gdb)
		COMPREPLY=($(compgen -c -- "$cur" | sort -u))
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_xrr_options "$xrr" "$cmd")" -- "$cur"))
		return
	fi
	case $cmd in
	record | serve)
		# The program to run, then its own arguments.
		local i
		for ((i = 2; i < cword; i++)); do
			case ${words[i]} in
			-o | --output | --cpu | --xcr0 | --port | --listen | --unix)
				((i++)) ;;     # the option's argument
			-*) ;;
			*)
				_filedir
				return
				;;
			esac
			[[ ${words[i]} == -- ]] && break
		done
		COMPREPLY=($(compgen -c -- "$cur" | sort -u))
		;;
	unpack)
		_filedir
		;;
	replay | info | dump | ps | check | checksum | pack | console)
		COMPREPLY=($(compgen -W "$(_xrr_traces)" -- "$cur"))
		[[ $cur == */* || $cur == .* ]] && _filedir -d
		;;
	esac
}
complete -F _xrr xrr
