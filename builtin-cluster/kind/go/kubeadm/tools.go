//go:build tools

// Package tools pins kubeadm, which kind runs inside its node containers (the test environment itself has no use
// for it). Same k8s.io/kubernetes version as ../../../go/kubernetes.
package tools

import _ "k8s.io/kubernetes/cmd/kubeadm"
