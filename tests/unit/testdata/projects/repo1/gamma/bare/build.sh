#!/bin/sh
echo building gamma/bare
