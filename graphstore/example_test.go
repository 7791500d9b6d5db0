package graphstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

// A store on the in-memory driver: seed a tenant with the demo graph and
// read it back.
func Example() {
	ctx := context.Background()
	store, err := graphstore.New(memstore.New(), nil)
	if err != nil {
		panic(err)
	}
	defer store.Close()

	tenant := tenancy.MustParse("6f1c1b7e-2f4a-4d1e-9a7b-0c2d3e4f5a6b")
	action, err := store.SeedDemo(ctx, tenant)
	if err != nil {
		panic(err)
	}
	g, err := store.Load(ctx, tenant)
	if err != nil {
		panic(err)
	}
	fmt.Println(action, "version", g.Version, "demo", g.DemoVersion)
	fmt.Println(len(g.Nodes), "nodes,", len(g.Edges), "edges")
	// Output:
	// created version 1 demo 4
	// 33 nodes, 37 edges
}

// Saves are checked against the version the graph was read at: the second
// writer from the same version gets a *VersionConflictError.
func ExampleStore_Save() {
	ctx := context.Background()
	store, _ := graphstore.New(memstore.New(), nil)
	defer store.Close()
	tenant := tenancy.New()

	g := &graphstore.Graph{Nodes: []graphstore.Node{{ID: "source:crm", Kind: graphstore.KindSource, Label: "CRM"}}}
	v1, err := store.Save(ctx, tenant, g) // g.Version is 0: a new graph
	if err != nil {
		panic(err)
	}

	a, b := v1.Clone(), v1.Clone()
	a.Nodes[0].Label = "CRM (EU)"
	b.Nodes[0].Label = "CRM (US)"
	if _, err := store.Save(ctx, tenant, a); err != nil {
		panic(err)
	}
	_, err = store.Save(ctx, tenant, b)
	var conflict *graphstore.VersionConflictError
	if errors.As(err, &conflict) {
		fmt.Printf("conflict: saved against %d, stored is %d\n", conflict.Expected, conflict.Actual)
	}
	fmt.Println(errors.Is(err, graphstore.ErrVersionConflict))
	// Output:
	// conflict: saved against 1, stored is 2
	// true
}

// Update reads, changes and saves, retrying after a conflict.
func ExampleStore_Update() {
	ctx := context.Background()
	store, _ := graphstore.New(memstore.New(), nil)
	defer store.Close()
	tenant := tenancy.New()

	for _, id := range []string{"source:crm", "source:billing"} {
		_, err := store.Update(ctx, tenant, func(g *graphstore.Graph) error {
			g.Nodes = append(g.Nodes, graphstore.Node{ID: id, Kind: graphstore.KindSource, Label: id})
			return nil
		})
		if err != nil {
			panic(err)
		}
	}
	g, _ := store.Load(ctx, tenant)
	fmt.Println("version", g.Version, "nodes", len(g.Nodes))
	// Output:
	// version 2 nodes 2
}

// Seeding never overwrites a graph a user changed.
func ExampleStore_SeedDemo() {
	ctx := context.Background()
	store, _ := graphstore.New(memstore.New(), nil)
	defer store.Close()
	tenant := tenancy.New()

	first, _ := store.SeedDemo(ctx, tenant)
	again, _ := store.SeedDemo(ctx, tenant)

	g, _ := store.Load(ctx, tenant)
	g.Nodes = append(g.Nodes, graphstore.Node{ID: "source:mine", Kind: graphstore.KindSource, Label: "Mine"})
	if _, err := store.Save(ctx, tenant, g); err != nil {
		panic(err)
	}
	afterEdit, _ := store.SeedDemo(ctx, tenant)
	fmt.Println(first, again, afterEdit)
	// Output:
	// created current kept
}

func ExampleDemoGraph() {
	g := graphstore.DemoGraph()
	for _, k := range []graphstore.NodeKind{graphstore.KindSource, graphstore.KindObject, graphstore.KindEntity, graphstore.KindView, graphstore.KindAgent} {
		fmt.Println(k, g.CountKind(k))
	}
	fmt.Println("edges", len(g.Edges), "pristine", g.IsPristineDemo())
	// Output:
	// source 9
	// object 12
	// entity 5
	// view 5
	// agent 2
	// edges 37 pristine true
}
