# agent/image: fragment (filled by its module)
