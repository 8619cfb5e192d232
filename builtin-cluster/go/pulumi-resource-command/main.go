// Command pulumi-resource-command is RepoRunner's own stand-in for the Pulumi "command" provider, written here
// because the upstream provider module (github.com/pulumi/pulumi-command/provider) is not served by the Go
// module proxy this project can reach. It implements only what the project's programs use:
//
//   - the resource command:local:Command (create / update / delete shell commands, with dir, environment,
//     interpreter, stdin, triggers, addPreviousOutputInEnv; outputs stdout and stderr), and
//   - the function command:local:run.
//
// It does not implement command:remote:* (SSH), asset/archive collection (assetPaths, archivePaths) or the
// provider's schema. It reports the version the @pulumi/command npm package asks for (set with
// -ldflags "-X main.Version=..."), so the engine uses it from PATH without trying to download a plugin.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Version is set at build time to the version the @pulumi/command npm package requests.
var Version = "0.0.0-dev"

const (
	commandType = "command:local:Command"
	runToken    = "command:local:run"
)

// Inputs whose change replaces the resource unless an update command is given (triggers always replace).
var replacingKeys = []string{"create", "dir", "environment", "interpreter", "stdin", "triggers", "assetPaths", "archivePaths"}

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &commandProvider{host: host}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type commandProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	host *provider.HostClient
}

// lineLogger sends each complete line written to it to the engine as an info message of one resource, as the
// upstream provider does, so a long command (a docker build) shows its progress in Pulumi's output.
type lineLogger struct {
	ctx     context.Context
	host    *provider.HostClient
	urn     resource.URN
	pending []byte
}

func (l *lineLogger) Write(b []byte) (int, error) {
	l.pending = append(l.pending, b...)
	for {
		i := bytes.IndexByte(l.pending, '\n')
		if i < 0 {
			return len(b), nil
		}
		if line := strings.TrimRight(string(l.pending[:i]), "\r"); line != "" && l.host != nil {
			_ = l.host.Log(l.ctx, diag.Info, l.urn, line)
		}
		l.pending = l.pending[i+1:]
	}
}

// loggers returns where a command's stdout and stderr are echoed, following the `logging` input
// (stdout, stderr, stdoutAndStderr (default) or none): a kubeconfig on stdout must stay out of the logs.
func (p *commandProvider) loggers(ctx context.Context, in resource.PropertyMap, urn string) (io.Writer, io.Writer) {
	// One logger per stream: exec copies stdout and stderr in separate goroutines.
	out := &lineLogger{ctx: ctx, host: p.host, urn: resource.URN(urn)}
	errs := &lineLogger{ctx: ctx, host: p.host, urn: resource.URN(urn)}
	switch str(in, "logging") {
	case "none":
		return io.Discard, io.Discard
	case "stdout":
		return out, io.Discard
	case "stderr":
		return io.Discard, errs
	default:
		return out, errs
	}
}

// keep preserves secrets and unknowns, for echoing inputs back as state.
var keep = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true}

// plain strips secrets, for running commands.
var plain = plugin.MarshalOptions{KeepUnknowns: true}

func unmarshal(s *structpb.Struct, opts plugin.MarshalOptions) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, keep)
}

func (p *commandProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (p *commandProvider) Handshake(
	context.Context, *pulumirpc.ProviderHandshakeRequest,
) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

func (p *commandProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	schema := fmt.Sprintf(`{"name":"command","version":%q,"resources":{},"functions":{}}`, Version)
	return &pulumirpc.GetSchemaResponse{Schema: schema}, nil
}

func (p *commandProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *commandProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *commandProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *commandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if t := resource.URN(req.GetUrn()).Type(); t != commandType {
		return nil, fmt.Errorf("unknown resource type %q (this stand-in provider implements %s only)", t, commandType)
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *commandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs(), keep)
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 { // state written without old inputs: compare against the outputs
		if olds, err = unmarshal(req.GetOlds(), keep); err != nil {
			return nil, err
		}
		delete(olds, "stdout")
		delete(olds, "stderr")
	}
	news, err := unmarshal(req.GetNews(), keep)
	if err != nil {
		return nil, err
	}
	hasUpdate := news.HasValue("update")
	var changed, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	for k := range keys {
		if olds[k].DeepEquals(news[k]) {
			continue
		}
		key := string(k)
		changed = append(changed, key)
		kind := pulumirpc.PropertyDiff_UPDATE
		replace := key == "triggers" || (!hasUpdate && contains(replacingKeys, key))
		if replace {
			replaces = append(replaces, key)
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
		detailed[key] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Strings(changed)
	sort.Strings(replaces)
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(changed) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes: changes, Diffs: changed, Replaces: replaces,
		DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

func (p *commandProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	state, err := unmarshal(req.GetProperties(), keep)
	if err != nil {
		return nil, err
	}
	id := newID()
	if req.GetPreview() {
		state["stdout"] = resource.MakeComputed(resource.NewStringProperty(""))
		state["stderr"] = resource.MakeComputed(resource.NewStringProperty(""))
		props, err := marshal(state)
		return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
	}
	in, err := unmarshal(req.GetProperties(), plain)
	if err != nil {
		return nil, err
	}
	stdout, stderr := "", ""
	if cmd := str(in, "create"); cmd != "" {
		outLog, errLog := p.loggers(ctx, in, req.GetUrn())
		if stdout, stderr, err = run(in, cmd, nil, outLog, errLog); err != nil {
			return nil, err
		}
	}
	setOutputs(state, stdout, stderr)
	props, err := marshal(state)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

func (p *commandProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := unmarshal(req.GetOlds(), plain)
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetNews(), keep)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		state["stdout"] = resource.MakeComputed(resource.NewStringProperty(""))
		state["stderr"] = resource.MakeComputed(resource.NewStringProperty(""))
		props, err := marshal(state)
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	in, err := unmarshal(req.GetNews(), plain)
	if err != nil {
		return nil, err
	}
	stdout, stderr := str(olds, "stdout"), str(olds, "stderr")
	cmd := str(in, "update")
	if cmd == "" {
		cmd = str(in, "create")
	}
	if cmd != "" {
		outLog, errLog := p.loggers(ctx, in, req.GetUrn())
		if stdout, stderr, err = run(in, cmd, previousOutputs(in, olds), outLog, errLog); err != nil {
			return nil, err
		}
	}
	setOutputs(state, stdout, stderr)
	props, err := marshal(state)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

func (p *commandProvider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	olds, err := unmarshal(req.GetProperties(), plain)
	if err != nil {
		return nil, err
	}
	if cmd := str(olds, "delete"); cmd != "" {
		if _, _, err := run(olds, cmd, previousOutputs(olds, olds), io.Discard, io.Discard); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

func (p *commandProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *commandProvider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runToken {
		return nil, fmt.Errorf("unknown function %q (this stand-in provider implements %s only)", req.GetTok(), runToken)
	}
	in, err := unmarshal(req.GetArgs(), plain)
	if err != nil {
		return nil, err
	}
	out, err := unmarshal(req.GetArgs(), keep)
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := run(in, str(in, "command"), nil, io.Discard, io.Discard)
	if err != nil {
		return nil, err
	}
	setOutputs(out, stdout, stderr)
	ret, err := marshal(out)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

func (p *commandProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// run executes cmd with the resource's interpreter, dir, environment and stdin; it returns stdout and stderr
// without their trailing newline, as the upstream provider does.
func run(in resource.PropertyMap, cmd string, extraEnv []string, outLog, errLog io.Writer) (string, string, error) {
	interpreter := []string{"/bin/sh", "-c"}
	if v, ok := in["interpreter"]; ok && v.IsArray() && len(v.ArrayValue()) > 0 {
		interpreter = nil
		for _, e := range v.ArrayValue() {
			if e.IsString() {
				interpreter = append(interpreter, e.StringValue())
			}
		}
	}
	args := append(append([]string{}, interpreter[1:]...), cmd)
	c := exec.Command(interpreter[0], args...)
	c.Dir = str(in, "dir")
	c.Env = append(os.Environ(), extraEnv...)
	if v, ok := in["environment"]; ok && v.IsObject() {
		env := v.ObjectValue()
		for _, k := range env.StableKeys() {
			if env[k].IsString() {
				c.Env = append(c.Env, string(k)+"="+env[k].StringValue())
			}
		}
	}
	if stdin := str(in, "stdin"); stdin != "" {
		c.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = io.MultiWriter(&stdout, outLog), io.MultiWriter(&stderr, errLog)
	if err := c.Run(); err != nil {
		return "", "", fmt.Errorf("%w: running %q:\n%s\n%s", err, cmd, stdout.String(), stderr.String())
	}
	return strings.TrimSuffix(stdout.String(), "\n"), strings.TrimSuffix(stderr.String(), "\n"), nil
}

// previousOutputs passes the last stdout/stderr to update and delete commands, unless addPreviousOutputInEnv is false.
func previousOutputs(in, olds resource.PropertyMap) []string {
	if v, ok := in["addPreviousOutputInEnv"]; ok && v.IsBool() && !v.BoolValue() {
		return nil
	}
	return []string{"PULUMI_COMMAND_STDOUT=" + str(olds, "stdout"), "PULUMI_COMMAND_STDERR=" + str(olds, "stderr")}
}

func setOutputs(state resource.PropertyMap, stdout, stderr string) {
	state["stdout"] = resource.NewStringProperty(stdout)
	state["stderr"] = resource.NewStringProperty(stderr)
}

func str(m resource.PropertyMap, key resource.PropertyKey) string {
	if v, ok := m[key]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
