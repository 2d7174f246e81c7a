# agent/shim: fragment (filled by its module)
