import SparseFactorCore

// SparseFactorCore alone must not bring the neural-network engine into scope.
let tensor = Tensor(shape: [2, 2])
print(tensor)
