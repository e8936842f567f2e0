public enum Plotting {}
