public enum _A {}
