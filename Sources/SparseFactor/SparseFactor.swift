// The umbrella module: re-exports every product, so `import SparseFactor` brings the whole
// library. It holds no code of its own; import a single module to keep a smaller namespace.
@_exported import SparseFactorAttention
@_exported import SparseFactorCore
@_exported import SparseFactorFitting
@_exported import SparseFactorIO
@_exported import SparseFactorNN
