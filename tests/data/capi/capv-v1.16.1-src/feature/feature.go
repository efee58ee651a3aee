/*
Copyright 2021 The Kubernetes Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package feature handles feature gates.
package feature

import (
	"k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/component-base/featuregate"
)

const (
	// Every capv-specific feature gate should add method here following this template:
	//
	// // owner: @username
	// // alpha: v1.X
	// MyFeature featuregate.Feature = "MyFeature".

	// MultiNetworks is a feature gate for the MultiNetworks functionality for supervisor.
	//
	// alpha: v1.14
	MultiNetworks featuregate.Feature = "MultiNetworks"

	// NodeAntiAffinity is a feature gate for the NodeAntiAffinity functionality.
	//
	// alpha: v1.4
	NodeAntiAffinity featuregate.Feature = "NodeAntiAffinity"

	// NamespaceScopedZones is a feature gate for the NamespaceScopedZones functionality for supervisor.
	//
	// alpha: v1.11
	NamespaceScopedZones featuregate.Feature = "NamespaceScopedZones"

	// NodeAutoPlacement is a feature gate for the NodeAutoPlacement functionality for supervisor.
	//
	// alpha: v1.15
	NodeAutoPlacement featuregate.Feature = "NodeAutoPlacement"

	// PriorityQueue is a feature gate that controls if the controller uses the controller-runtime PriorityQueue
	// instead of the default queue implementation.
	//
	// alpha: v1.13
	// beta: v1.16
	PriorityQueue featuregate.Feature = "PriorityQueue"

	// ReconcilerRateLimiting is a feature gate that controls if reconcilers are rate-limited.
	// Note: Currently the feature gate is rate-limiting to 1 request / 1 second.
	//
	// beta: v1.16
	ReconcilerRateLimiting featuregate.Feature = "ReconcilerRateLimiting"
)

func init() {
	runtime.Must(MutableGates.Add(defaultCAPVFeatureGates))
}

// defaultCAPVFeatureGates consists of all known capv-specific feature keys.
// To add a new feature, define a key for it above and add it here.
var defaultCAPVFeatureGates = map[featuregate.Feature]featuregate.FeatureSpec{
	PriorityQueue:          {Default: true, PreRelease: featuregate.Beta},
	ReconcilerRateLimiting: {Default: true, PreRelease: featuregate.Beta},
	NodeAntiAffinity:       {Default: false, PreRelease: featuregate.Alpha},
	NamespaceScopedZones:   {Default: false, PreRelease: featuregate.Alpha},
	NodeAutoPlacement:      {Default: false, PreRelease: featuregate.Alpha},
	MultiNetworks:          {Default: false, PreRelease: featuregate.Alpha},
}
