#!/bin/sh
echo building .hidden/x
