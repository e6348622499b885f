#!/bin/sh
echo building bad@team/x
