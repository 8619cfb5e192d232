# Environment for running the Pulumi engine that build/10-pulumi.sh builds. Source it from bash:
#   source builtin-cluster/pulumi-env.sh
# It puts the engine and @pulumi/pulumi's dynamic-provider shim on PATH and turns off every network call the
# CLI would make on its own. It chooses no backend and no passphrase: set PULUMI_BACKEND_URL (for example
# file://DIR) and PULUMI_CONFIG_PASSPHRASE yourself.
_reporunner_testenv="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_reporunner_project="$(dirname "$_reporunner_testenv")"
_reporunner_bin="${REPORUNNER_CACHE:-$HOME/.cache/reporunner}/toolchain/pulumi/bin"

for _reporunner_dir in "$_reporunner_project/node_modules/@pulumi/pulumi" "$_reporunner_bin"; do
  case ":$PATH:" in
    *":$_reporunner_dir:"*) ;;
    *) PATH="$_reporunner_dir:$PATH" ;;
  esac
done
export PATH

# No update check, no refusal of the CLI's version by the Automation API, no plugin downloads: providers
# come from PATH (pulumi-resource-*), with the versions the npm packages ask for.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset PULUMI_IGNORE_AMBIENT_PLUGINS
unset _reporunner_testenv _reporunner_project _reporunner_bin _reporunner_dir
