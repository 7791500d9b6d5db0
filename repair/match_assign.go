package repair

import (
	"math"
	"sort"
)

// maxHungarianRows bounds the rows solved exactly: the exact solution
// costs O(n^2 (n+k)), so very wide objects (hundreds of candidate fields)
// are assigned greedily, best pair first.
const maxHungarianRows = 250

// greedyMax assigns best pairs first; it is the fallback for very wide
// objects.
func greedyMax(profit [][]float64) []int {
	type cell struct {
		i, j int
		p    float64
	}
	var cells []cell
	for i, row := range profit {
		for j, p := range row {
			if p > 0 {
				cells = append(cells, cell{i, j, p})
			}
		}
	}
	sort.Slice(cells, func(a, b int) bool {
		if cells[a].p != cells[b].p {
			return cells[a].p > cells[b].p
		}
		if cells[a].i != cells[b].i {
			return cells[a].i < cells[b].i
		}
		return cells[a].j < cells[b].j
	})
	out := make([]int, len(profit))
	for i := range out {
		out[i] = -1
	}
	usedCol := map[int]bool{}
	for _, c := range cells {
		if out[c.i] < 0 && !usedCol[c.j] {
			out[c.i] = c.j
			usedCol[c.j] = true
		}
	}
	return out
}

// hungarianMax solves the assignment problem on a rows x cols profit
// matrix (profits >= 0, 0 meaning "not worth it"): each row gets at most
// one column, each column at most one row, and the total profit is
// maximal. It returns, per row, the chosen column or -1. Rows are padded
// with one "nothing" column each, so rows may outnumber columns.
//
// It is the O(n^2 m) shortest augmenting path form of the Kuhn-Munkres
// algorithm with potentials.
func hungarianMax(profit [][]float64) []int {
	n := len(profit)
	k := len(profit[0])
	m := k + n // real columns, then one dummy column per row
	cost := func(i, j int) float64 {
		if j < k {
			return -profit[i][j]
		}
		return 0
	}
	inf := math.Inf(1)
	u := make([]float64, n+1)
	v := make([]float64, m+1)
	p := make([]int, m+1) // p[j] = row (1-based) matched to column j
	way := make([]int, m+1)
	minv := make([]float64, m+1)
	used := make([]bool, m+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = inf
			used[j] = false
		}
		for {
			used[j0] = true
			i0 := p[j0]
			delta, j1 := inf, 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				cur := cost(i0-1, j-1) - u[i0] - v[j]
				if cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
			if j0 == 0 {
				break
			}
		}
	}
	out := make([]int, n)
	for i := range out {
		out[i] = -1
	}
	for j := 1; j <= k; j++ {
		if p[j] > 0 && profit[p[j]-1][j-1] > 0 {
			out[p[j]-1] = j - 1
		}
	}
	return out
}
